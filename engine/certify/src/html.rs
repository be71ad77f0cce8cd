//! A self-contained HTML report for people: a heatmap of dimension x Safe, then every
//! requirement with its outcome, evidence and what to improve. No scripts, no external files.

use crate::report::{Assessment, Conformance, Outcome};
use fivesafes_core::{Dimension, Safe};
use std::fmt::Write as _;

/// Escape text for HTML.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;padding:.4rem .6rem;text-align:left;vertical-align:top}\
.heatmap td{text-align:center;font-weight:600;min-width:7rem}\
.full{background:#1a7f37;color:#fff}.baseline{background:#9be9a8}.undetermined{background:#f2cc60}.notMet{background:#cf222e;color:#fff}\
.passed{color:#1a7f37}.failed{color:#cf222e}.cantTell{color:#9a6700}.inapplicable,.untested{color:#57606a}\
code{font-size:.9em}.hash{font-family:monospace;word-break:break-all}";

/// A level's CSS class and name.
fn level(c: Conformance) -> (&'static str, &'static str) {
    let class = if c == Conformance::NotMet { "notMet" } else { c.name() };
    (class, c.name())
}

/// A self-contained page: the title, inline CSS and the body; no scripts, nothing external.
pub(crate) fn page(title: &str, style: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{style}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

fn heatmap(s: &mut String, a: &Assessment) {
    s.push_str("<table class=\"heatmap\" id=\"heatmap\">\n<tr><th>dimension</th>");
    for safe in Safe::ALL {
        let _ = write!(s, "<th>{}</th>", esc(safe.name()));
    }
    s.push_str("<th>overall</th></tr>\n");
    for d in Dimension::ALL {
        let _ = write!(s, "<tr><th>{}</th>", esc(d.name()));
        for safe in Safe::ALL {
            if let Some(c) = a.cells.iter().find(|c| c.dimension == d && c.safe == safe) {
                let (class, name) = level(c.level);
                let n = &c.counts;
                let _ = write!(
                    s,
                    "<td class=\"{class}\" data-dimension=\"{}\" data-safe=\"{}\" title=\"passed {} / failed {} / cantTell {} / inapplicable {} / untested {}\">{name}</td>",
                    esc(d.name()),
                    esc(safe.name()),
                    n.passed,
                    n.failed,
                    n.cant_tell,
                    n.inapplicable,
                    n.untested
                );
            }
        }
        if let Some(dl) = a.dimensions.iter().find(|x| x.dimension == d) {
            let (class, name) = level(dl.level);
            let _ = write!(s, "<td class=\"{class}\">{name}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
}

/// The report of one assessment.
pub fn report(a: &Assessment) -> String {
    let mut s = String::new();
    let name = a.name.clone().unwrap_or_else(|| a.tre.clone());
    let _ = writeln!(s, "<h1>Blueprint conformance: {}</h1>", esc(&name));
    let (class, overall) = level(a.overall);
    let _ = writeln!(
        s,
        "<p>TRE <code>{}</code>, assessed on {} against <code>{}</code> version {}.</p>\n<p>Overall: <strong class=\"{class}\" id=\"overall\">&nbsp;{overall}&nbsp;</strong> {}</p>",
        esc(&a.tre),
        esc(&a.assessed_on),
        esc(&a.blueprint),
        esc(&a.blueprint_version),
        if a.certified { "certified: every mandatory requirement is met" } else { "not certified" }
    );
    let _ = writeln!(
        s,
        "<p>Evidence graph (RDFC-1.0, SHA-256) of <code>{}</code>: <span class=\"hash\">{}</span></p>",
        esc(&a.description),
        esc(&a.evidence_hash)
    );
    heatmap(&mut s, a);
    s.push_str("<h2>Requirements</h2>\n<table id=\"requirements\">\n<tr><th>requirement</th><th>outcome</th><th>evidence</th><th>to improve</th></tr>\n");
    for r in &a.results {
        let _ = write!(
            s,
            "<tr id=\"{}\"><td><strong>{}</strong> {}<br><small>{} / {} / {:?}</small></td><td class=\"{}\">{}</td><td>",
            esc(&r.requirement),
            esc(&r.requirement),
            esc(&r.title),
            esc(r.dimension.name()),
            esc(r.safe.name()),
            r.level,
            r.outcome.earl(),
            r.outcome.earl()
        );
        if !r.problems.is_empty() {
            s.push_str("<ul>");
            for p in &r.problems {
                let _ = write!(s, "<li>{}</li>", esc(p));
            }
            s.push_str("</ul>");
        }
        if !r.evidence.is_empty() {
            s.push_str("<ul>");
            for e in &r.evidence {
                let _ = write!(s, "<li>{} <code>{}</code></li>", esc(&e.label), esc(&e.node));
            }
            s.push_str("</ul>");
        }
        for sc in &r.satre {
            let _ = write!(s, "<div>SATRE {} scored {}</div>", esc(&sc.statement), esc(&sc.score));
        }
        let improve =
            if matches!(r.outcome, Outcome::Passed | Outcome::Inapplicable) { "" } else { r.improve.as_str() };
        let _ = writeln!(s, "</td><td>{}</td></tr>", esc(improve));
    }
    s.push_str("</table>\n");
    if let Some(sat) = &a.satre {
        let _ = writeln!(
            s,
            "<h2>SATRE v{} self-assessment</h2>\n<p>{}</p>",
            esc(&sat.version),
            if sat.met { "Every pillar is met." } else { "Not every pillar is met." }
        );
        if !sat.unmet_capabilities.is_empty() {
            s.push_str("<ul>");
            for c in &sat.unmet_capabilities {
                let _ = write!(s, "<li>capability not met: {}</li>", esc(c));
            }
            s.push_str("</ul>\n");
        }
    }
    page(&format!("Blueprint conformance: {name}"), STYLE, &s)
}

/// A summary of a federation's assessments.
pub fn federation(all: &[Assessment], missing: &[String]) -> String {
    let mut s = String::from(
        "<h1>Blueprint conformance of the federation</h1>\n<table id=\"members\">\n<tr><th>member</th><th>overall</th>",
    );
    for d in Dimension::ALL {
        let _ = write!(s, "<th>{}</th>", esc(d.name()));
    }
    s.push_str("<th>evidence graph</th></tr>\n");
    for a in all {
        let (class, name) = level(a.overall);
        let _ = write!(s, "<tr><td>{}</td><td class=\"{class}\">{name}</td>", esc(a.id.as_deref().unwrap_or(&a.tre)));
        for d in &a.dimensions {
            let (class, name) = level(d.level);
            let _ = write!(s, "<td class=\"{class}\">{name}</td>");
        }
        let _ = writeln!(s, "<td class=\"hash\">{}</td></tr>", esc(&a.evidence_hash));
    }
    for m in missing {
        let _ = writeln!(s, "<tr><td>{}</td><td colspan=\"6\">no self-description</td></tr>", esc(m));
    }
    s.push_str("</table>\n");
    page("Blueprint conformance of the federation", STYLE, &s)
}
