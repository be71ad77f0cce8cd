//! Traceability of the blueprint, for certifiers: from every requirement to its sources (SATRE v2
//! statements with their text and importance, GDPR articles, vocabulary terms) and to what
//! realises it (the Cedar policies that decide it at request time, the SPARQL check that checks
//! it at certification), and back from every SATRE statement cited to the requirements that
//! realise it.
//!
//! [`rows`] builds one [`TraceRow`] per requirement, in grid order (dimension, Safe, number);
//! [`csv`], [`markdown`] and [`html`] write them. The output is deterministic. Like the rest of
//! the crate this does no I/O: the caller writes the text where it wants it.
//!
//! ```
//! use fivesafes_certify::{Assessor, Check, traceability};
//!
//! let files = fivesafes_core::embedded::default_sources();
//! let assessor = Assessor::new(&files)?;
//! let rows = traceability::rows(assessor.blueprint(), &Check::embedded()?);
//! assert_eq!(rows.len(), 60);
//! assert!(traceability::markdown(&rows).contains("| 3.2.04 |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::check::{Check, compact};
use crate::html::esc;
use crate::satre::{self, Importance};
use fivesafes_core::{Blueprint, Dimension, Level, Requirement, Safe};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One requirement and everything it traces to. Its fields read through to the
/// [`Requirement`] (`row.id`, `row.dimension`, ...), except `satre` and `related`, which this row
/// gives in full.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// The requirement, as the blueprint states it.
    pub requirement: Requirement,
    /// The SATRE v2 statements it realises, in index order, with their text.
    pub satre: Vec<SatreSource>,
    /// Related vocabulary terms, compacted with the checks' prefixes (`dpv:LegalBasis`).
    pub related: Vec<String>,
    /// Its certification check, when the blueprint has one.
    pub check: Option<CertificationCheck>,
}

impl std::ops::Deref for TraceRow {
    type Target = Requirement;
    fn deref(&self) -> &Requirement {
        &self.requirement
    }
}

/// A SATRE v2 statement a requirement cites, as the SATRE specification states it.
#[derive(Debug, Clone, PartialEq)]
pub struct SatreSource {
    /// Its index, e.g. `2.6.04`.
    pub index: String,
    /// Its capability, index and name, e.g. `2.6 Incident Management`; empty when the
    /// specification has no such statement.
    pub capability: String,
    /// What it requires; empty when the specification has no such statement.
    pub statement: String,
    /// How binding it is; `None` when the specification has no such statement.
    pub importance: Option<Importance>,
}

/// The certification check of a requirement (`blueprint/checks/<id>.rq`).
#[derive(Debug, Clone, PartialEq)]
pub struct CertificationCheck {
    /// Its file in the repository, e.g. `blueprint/checks/ORG.SET.2.rq`.
    pub file: String,
    /// What it looks for.
    pub summary: String,
    /// What it reports when it finds nothing.
    pub missing: String,
}

/// The CSV could not be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("cannot write the traceability CSV: {message}")]
#[diagnostic(code(fivesafes::certify::traceability))]
pub struct TraceabilityError {
    message: String,
}

/// One row per requirement of the blueprint, in grid order (dimension, Safe, number), with the
/// SATRE statements looked up in the embedded SATRE specification and the check of each
/// requirement checked at certification looked up in `checks`.
pub fn rows(blueprint: &Blueprint, checks: &[Check]) -> Vec<TraceRow> {
    let spec = satre::specification();
    let mut rows: Vec<TraceRow> = blueprint
        .requirements
        .values()
        .map(|r| {
            let mut sources: Vec<SatreSource> = r
                .satre
                .iter()
                .map(|index| match spec.statement(index) {
                    Some(s) => SatreSource {
                        index: index.clone(),
                        capability: format!("{} {}", s.capability_index, s.capability),
                        statement: s.statement.clone(),
                        importance: Some(s.importance),
                    },
                    None => SatreSource {
                        index: index.clone(),
                        capability: String::new(),
                        statement: String::new(),
                        importance: None,
                    },
                })
                .collect();
            sources.sort_by_key(|s| satre_key(&s.index));
            let check = checks.iter().find(|c| c.requirement == r.id).map(|c| CertificationCheck {
                file: format!("blueprint/checks/{}.rq", c.requirement),
                summary: c.summary.clone(),
                missing: c.missing.clone(),
            });
            TraceRow {
                requirement: (*r).clone(),
                satre: sources,
                related: r.related.iter().map(|t| compact(t, TERM_PREFIXES)).collect(),
                check,
            }
        })
        .collect();
    rows.sort_by_key(|r| (r.dimension, r.safe, id_number(&r.id)));
    rows
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 17] = [
    "id",
    "iri",
    "dimension",
    "safe",
    "level",
    "title",
    "statement",
    "satre",
    "satre_importance",
    "satre_statements",
    "gdpr",
    "related_terms",
    "enforced_by",
    "checked_at_certification",
    "check",
    "check_summary",
    "check_missing",
];

/// RFC 4180 CSV: a header row ([`CSV_HEADER`]) and one row per requirement; multi-valued fields
/// joined with `"; "`. `satre` and `satre_importance` list the statements' indices and
/// importances in the same order; `satre_statements` gives each as `index (importance): text`.
pub fn csv(rows: &[TraceRow]) -> Result<String, TraceabilityError> {
    let fail = |e: &dyn std::fmt::Display| TraceabilityError { message: e.to_string() };
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(CSV_HEADER).map_err(|e| fail(&e))?;
    for r in rows {
        let check = r.check.as_ref();
        let record = [
            r.id.clone(),
            r.iri.clone(),
            r.dimension.name().to_owned(),
            r.safe.name().to_owned(),
            level_name(r.level).to_owned(),
            r.title.clone(),
            r.statement.clone(),
            join(r.satre.iter().map(|s| s.index.clone())),
            join(r.satre.iter().map(|s| importance_name(s.importance).to_owned())),
            join(r.satre.iter().map(|s| format!("{} ({}): {}", s.index, importance_name(s.importance), text_of(s)))),
            join(r.gdpr.iter().cloned()),
            join(r.related.iter().cloned()),
            join(r.enforced_by.iter().cloned()),
            r.checked_at_certification.to_string(),
            check.map(|c| c.file.clone()).unwrap_or_default(),
            check.map(|c| c.summary.clone()).unwrap_or_default(),
            check.map(|c| c.missing.clone()).unwrap_or_default(),
        ];
        writer.write_record(&record).map_err(|e| fail(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| fail(&e))?;
    String::from_utf8(bytes).map_err(|e| fail(&e))
}

/// Markdown: a section per dimension with a table per Safe (requirement, sources, what realises
/// it), then the SATRE reverse index.
pub fn markdown(rows: &[TraceRow]) -> String {
    let mut s = String::from("# Traceability of the blueprint\n\n");
    let _ = writeln!(s, "{}\n", summary(rows));
    for d in Dimension::ALL {
        let _ = writeln!(s, "## {}\n", dimension_label(d));
        for safe in Safe::ALL {
            let cell: Vec<&TraceRow> = rows.iter().filter(|r| r.dimension == d && r.safe == safe).collect();
            if cell.is_empty() {
                continue;
            }
            let _ = writeln!(s, "### {} × {}\n", dimension_label(d), safe_label(safe));
            s.push_str("| Requirement | Sources | Realised by |\n|---|---|---|\n");
            for r in cell {
                let _ = writeln!(
                    s,
                    "| **{}** {} ({})<br>{} | {} | {} |",
                    md(&r.id),
                    md(&r.title),
                    level_name(r.level),
                    md(&r.statement),
                    md_sources(r),
                    md_realised(r)
                );
            }
            s.push('\n');
        }
    }
    let _ = writeln!(s, "## SATRE v{} statements and the requirements that realise them\n", satre::SATRE_VERSION);
    s.push_str("| Statement | Importance | Capability | Statement text | Realised by |\n|---|---|---|---|---|\n");
    for (source, ids) in reverse(rows) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            md(&source.index),
            importance_name(source.importance),
            md(&source.capability),
            md(text_of(source)),
            md(&ids.join(", "))
        );
    }
    s
}

/// A self-contained HTML page (inline CSS, no scripts, no external resources): one table of
/// the requirements, each row anchored by its id (`id="ORG.SET.2"`), then the SATRE reverse
/// index (`id="satre-2.6.04"`). All text is escaped.
pub fn html(rows: &[TraceRow]) -> String {
    let mut s = String::from("<h1>Traceability of the blueprint</h1>\n");
    let _ = writeln!(s, "<p>{}</p>", esc(&summary(rows)));
    s.push_str("<h2>Requirements</h2>\n<table id=\"requirements\">\n<tr><th>requirement</th><th>statement</th><th>SATRE v2 statements</th><th>GDPR</th><th>related terms</th><th>enforced at request time</th><th>checked at certification</th></tr>\n");
    for r in rows {
        let _ = write!(
            s,
            "<tr id=\"{}\"><td><strong>{}</strong> {}<br><small>{} / {} / {}</small></td><td>{}</td><td>",
            esc(&r.id),
            esc(&r.id),
            esc(&r.title),
            esc(dimension_label(r.dimension)),
            esc(safe_label(r.safe)),
            level_name(r.level),
            esc(&r.statement)
        );
        list(
            &mut s,
            r.satre.iter().map(|src| {
                format!(
                    "<a href=\"#satre-{}\">{}</a> ({}) {}",
                    esc(&src.index),
                    esc(&src.index),
                    importance_name(src.importance),
                    esc(text_of(src))
                )
            }),
        );
        s.push_str("</td><td>");
        list(&mut s, r.gdpr.iter().map(|g| esc(g)));
        s.push_str("</td><td>");
        list(&mut s, r.related.iter().map(|t| format!("<code>{}</code>", esc(t))));
        s.push_str("</td><td>");
        list(&mut s, r.enforced_by.iter().map(|p| format!("<code>{}</code>", esc(p))));
        s.push_str("</td><td>");
        match (&r.check, r.checked_at_certification) {
            (Some(c), _) => {
                let _ = write!(
                    s,
                    "<code>{}</code>: {}<br><small>when nothing is found: {}</small>",
                    esc(&c.file),
                    esc(&c.summary),
                    esc(&c.missing)
                );
            }
            (None, true) => s.push_str("<em>no check</em>"),
            (None, false) => {}
        }
        s.push_str("</td></tr>\n");
    }
    s.push_str("</table>\n");
    let _ = writeln!(
        s,
        "<h2>SATRE v{} statements and the requirements that realise them</h2>\n<table id=\"satre\">\n<tr><th>statement</th><th>importance</th><th>capability</th><th>statement text</th><th>realised by</th></tr>",
        esc(satre::SATRE_VERSION)
    );
    for (source, ids) in reverse(rows) {
        let links: Vec<String> = ids.iter().map(|id| format!("<a href=\"#{}\">{}</a>", esc(id), esc(id))).collect();
        let _ = writeln!(
            s,
            "<tr id=\"satre-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&source.index),
            esc(&source.index),
            importance_name(source.importance),
            esc(&source.capability),
            esc(text_of(source)),
            links.join(", ")
        );
    }
    s.push_str("</table>\n");
    page("Traceability of the blueprint", &s)
}

/// Every SATRE statement cited, in index order, with the requirements that cite it (grid order).
fn reverse(rows: &[TraceRow]) -> Vec<(&SatreSource, Vec<String>)> {
    let mut by_index: BTreeMap<Vec<u32>, (&SatreSource, Vec<String>)> = BTreeMap::new();
    for r in rows {
        for source in &r.satre {
            by_index.entry(satre_key(&source.index)).or_insert_with(|| (source, Vec::new())).1.push(r.id.clone());
        }
    }
    by_index.into_values().collect()
}

fn summary(rows: &[TraceRow]) -> String {
    let count = |f: &dyn Fn(&TraceRow) -> bool| rows.iter().filter(|r| f(r)).count();
    let enforced = count(&|r| !r.enforced_by.is_empty());
    let checked = count(&|r| r.checked_at_certification);
    let with_check = count(&|r| r.check.is_some());
    let cited = count(&|r| !r.satre.is_empty());
    let neither = count(&|r| r.enforced_by.is_empty() && !r.checked_at_certification);
    format!(
        "{} requirements: {enforced} enforced at request time by Cedar policies, {checked} checked at certification ({with_check} with a check), {neither} neither; {cited} trace to SATRE v{} statements.",
        rows.len(),
        satre::SATRE_VERSION
    )
}

fn md_sources(r: &TraceRow) -> String {
    let mut parts = Vec::new();
    for src in &r.satre {
        parts.push(format!("SATRE **{}** ({}): {}", md(&src.index), importance_name(src.importance), md(text_of(src))));
    }
    if !r.gdpr.is_empty() {
        parts.push(format!("GDPR {}", md(&r.gdpr.join(", "))));
    }
    if !r.related.is_empty() {
        let terms: Vec<String> = r.related.iter().map(|t| format!("`{}`", t.replace('`', "'"))).collect();
        parts.push(format!("Terms: {}", md(&terms.join(", "))));
    }
    parts.join("<br>")
}

fn md_realised(r: &TraceRow) -> String {
    let mut parts = Vec::new();
    if !r.enforced_by.is_empty() {
        let policies: Vec<String> = r.enforced_by.iter().map(|p| format!("`{}`", p.replace('`', "'"))).collect();
        parts.push(format!("Request time, Cedar: {}", md(&policies.join(", "))));
    }
    match (&r.check, r.checked_at_certification) {
        (Some(c), _) => parts.push(format!(
            "Certification, `{}`: {} (when nothing is found: {})",
            md(&c.file),
            md(&c.summary),
            md(&c.missing)
        )),
        (None, true) => parts.push("Certification: no check".to_owned()),
        (None, false) => {}
    }
    parts.join("<br>")
}

fn list(s: &mut String, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return;
    }
    s.push_str("<ul>");
    for item in items {
        let _ = write!(s, "<li>{item}</li>");
    }
    s.push_str("</ul>");
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

fn text_of(source: &SatreSource) -> &str {
    if source.importance.is_none() { "not in the SATRE specification" } else { &source.statement }
}

fn importance_name(importance: Option<Importance>) -> &'static str {
    importance.map_or("unknown", Importance::as_satre)
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Mandatory => "mandatory",
        Level::Recommended => "recommended",
    }
}

fn dimension_label(d: Dimension) -> &'static str {
    match d {
        Dimension::Legal => "Legal",
        Dimension::Organisational => "Organisational",
        Dimension::Technical => "Technical",
        Dimension::Semantic => "Semantic",
    }
}

fn safe_label(s: Safe) -> &'static str {
    match s {
        Safe::People => "Safe People",
        Safe::Projects => "Safe Projects",
        Safe::Settings => "Safe Settings",
        Safe::Data => "Safe Data",
        Safe::Outputs => "Safe Outputs",
    }
}

/// The number of a requirement id (`ORG.SET.12` -> 12), for grid order.
fn id_number(id: &str) -> (u32, String) {
    let (head, tail) = id.rsplit_once('.').unwrap_or((id, ""));
    (tail.parse().unwrap_or(u32::MAX), format!("{head}.{tail}"))
}

/// A SATRE index as numbers (`2.10.01` after `2.9.01`).
fn satre_key(index: &str) -> Vec<u32> {
    index.split('.').map(|p| p.parse().unwrap_or(u32::MAX)).collect()
}

/// The prefixes of the related terms: the checks' and the DPV GDPR extension's.
const TERM_PREFIXES: &[(&str, &str)] = &[("eu-gdpr", "https://w3id.org/dpv/legal/eu/gdpr#")];

/// Text in a Markdown table cell: no line breaks, pipes and HTML escaped.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '\r' => {}
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.4rem .6rem;text-align:left;vertical-align:top}\
th{background:#f3f4f6}ul{margin:0;padding-left:1.1rem}small{color:#57606a}code{font-size:.9em}\
tr:target{background:#fff8c5}";

fn page(title: &str, body: &str) -> String {
    crate::html::page(title, STYLE, body)
}

#[cfg(test)]
#[allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::Assessor;

    fn baseline() -> Result<Vec<TraceRow>, Box<dyn std::error::Error>> {
        let assessor = Assessor::new(&fivesafes_core::embedded::default_sources())?;
        Ok(rows(assessor.blueprint(), &Check::embedded()?))
    }

    fn row<'a>(rows: &'a [TraceRow], id: &str) -> &'a TraceRow {
        rows.iter().find(|r| r.id == id).unwrap_or_else(|| panic!("no row {id}"))
    }

    #[test]
    fn every_requirement_in_grid_order() -> Result<(), Box<dyn std::error::Error>> {
        let rows = baseline()?;
        assert_eq!(rows.len(), 60);
        let first: Vec<&str> = rows.iter().take(4).map(|r| r.id.as_str()).collect();
        assert_eq!(first, ["LEG.PEO.1", "LEG.PEO.2", "LEG.PEO.3", "LEG.PRJ.1"]);
        let keys: Vec<_> = rows.iter().map(|r| (r.dimension, r.safe, id_number(&r.id))).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(rows.last().map(|r| r.dimension), Some(Dimension::Semantic));
        Ok(())
    }

    #[test]
    fn the_csv_parses_back_with_a_row_per_requirement() -> Result<(), Box<dyn std::error::Error>> {
        let rows = baseline()?;
        let text = csv(&rows)?;
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers()?.iter().collect::<Vec<_>>(), CSV_HEADER);
        let records: Vec<::csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
        assert_eq!(records.len(), 60);
        let field = |id: &str, column: &str| -> String {
            let at = CSV_HEADER.iter().position(|h| *h == column).unwrap_or_else(|| panic!("{column}"));
            let record = records.iter().find(|r| r.get(0) == Some(id)).unwrap_or_else(|| panic!("{id}"));
            record.get(at).unwrap_or_default().to_owned()
        };
        assert_eq!(field("ORG.SET.2", "satre"), "2.6.04; 5.1.04; 5.4.02");
        assert_eq!(field("ORG.SET.2", "check"), "blueprint/checks/ORG.SET.2.rq");
        assert_eq!(field("ORG.SET.2", "level"), "mandatory");
        assert_eq!(field("LEG.PEO.1", "enforced_by"), "people.user-agreement");
        assert_eq!(field("LEG.PEO.1", "check"), "");
        assert_eq!(field("LEG.PRJ.1", "related_terms"), "dpv:LegalBasis; eu-gdpr:A6-1-e; fs:Article6LawfulBasis");
        Ok(())
    }

    #[test]
    fn a_certification_requirement_names_its_check_and_satre_statements() -> Result<(), Box<dyn std::error::Error>> {
        let rows = baseline()?;
        let r = row(&rows, "ORG.SET.2");
        let spec = satre::try_specification()?;
        for index in ["2.6.04", "5.4.02", "5.1.04"] {
            let source = r.satre.iter().find(|s| s.index == index).unwrap_or_else(|| panic!("{index}"));
            let expected = spec.statement(index).unwrap_or_else(|| panic!("{index} not in SATRE"));
            assert_eq!(source.statement, expected.statement);
            assert_eq!(source.importance, Some(expected.importance));
        }
        let check = r.check.as_ref().unwrap_or_else(|| panic!("ORG.SET.2 has no check"));
        assert!(check.summary.contains("incident response procedure"), "{}", check.summary);
        assert!(!check.missing.is_empty());
        let md = markdown(&rows);
        let line = md.lines().find(|l| l.starts_with("| **ORG.SET.2**")).unwrap_or_default();
        assert!(line.contains(&check.summary) && line.contains("blueprint/checks/ORG.SET.2.rq"), "{line}");
        Ok(())
    }

    #[test]
    fn the_reverse_index_lists_the_requirements_citing_a_statement() -> Result<(), Box<dyn std::error::Error>> {
        let md = markdown(&baseline()?);
        let line = md.lines().find(|l| l.starts_with("| 3.2.04 |")).unwrap_or_default();
        assert!(line.ends_with("| TEC.PEO.2, TEC.SET.3 |"), "{line}");
        for d in ["## Legal", "## Organisational", "## Technical", "## Semantic"] {
            assert!(md.contains(&format!("\n{d}\n")), "{d}");
        }
        Ok(())
    }

    #[test]
    fn html_is_self_contained_and_escaped() -> Result<(), Box<dyn std::error::Error>> {
        let page = html(&baseline()?);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(!page.contains("<script") && !page.contains("<link"));
        assert!(page.contains("<tr id=\"LEG.PEO.1\">"));
        assert!(page.contains("the federation&#39;s user agreement"));
        assert!(!page.contains("the federation's user agreement"));
        assert!(page.contains("<tr id=\"satre-3.2.04\">"));
        Ok(())
    }

    #[test]
    fn markup_in_text_is_escaped_in_every_format() -> Result<(), Box<dyn std::error::Error>> {
        let mut rows = baseline()?;
        rows.truncate(1);
        if let Some(r) = rows.first_mut() {
            r.requirement.statement = "a <b>|\"c\", d\nnext".into();
        }
        assert!(html(&rows).contains("a &lt;b&gt;|&quot;c&quot;, d\nnext"));
        assert!(markdown(&rows).contains("a &lt;b>\\|\"c\", d next"));
        let text = csv(&rows)?;
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().transpose()?.unwrap_or_default();
        assert_eq!(record.get(6), Some("a <b>|\"c\", d\nnext"));
        Ok(())
    }

    #[test]
    fn a_statement_missing_from_satre_is_named_as_such() {
        let source = SatreSource {
            index: "9.9.99".into(),
            capability: String::new(),
            statement: String::new(),
            importance: None,
        };
        assert_eq!(text_of(&source), "not in the SATRE specification");
        assert!(satre_key("2.10.01") > satre_key("2.9.01"));
    }
}
