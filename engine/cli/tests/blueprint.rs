#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]
//! `fivesafes blueprint export` through the binary: CSV, Markdown and HTML traceability of the
//! blueprint, and `--out`.

mod common;

use common::{code, fivesafes, scratch, text};
use fivesafes_certify::satre::specification;

/// Split RFC 4180 CSV into records (quoted fields may hold commas, quotes and line breaks).
/// The CLI crate does not depend on the `csv` crate; the library's unit tests parse the same
/// text with it, and `csv_is_the_librarys` checks the binary writes exactly that text.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                out.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && record.is_empty() && !quoted, "the CSV does not end with a line break");
    out
}

fn export(format: &str) -> String {
    let o = fivesafes(&["blueprint", "export", "--format", format]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn csv_is_the_librarys() {
    let files = fivesafes_core::embedded::default_sources();
    let assessor = fivesafes_certify::Assessor::new(&files).unwrap();
    let rows =
        fivesafes_certify::traceability::rows(assessor.blueprint(), &fivesafes_certify::Check::embedded().unwrap());
    assert_eq!(export("csv"), fivesafes_certify::traceability::csv(&rows).unwrap());
}

#[test]
fn csv_has_a_header_and_a_row_per_requirement() {
    let all = records(&export("csv"));
    let (header, rows) = all.split_first().unwrap();
    assert_eq!(header, &fivesafes_certify::traceability::CSV_HEADER.map(String::from));
    assert_eq!(rows.len(), 60);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let row = |id: &str| rows.iter().find(|r| r[0] == id).unwrap_or_else(|| panic!("no row {id}"));
    assert_eq!(rows.first().map(|r| r[0].as_str()), Some("LEG.PEO.1"));
    assert_eq!(rows.last().map(|r| &r[col("dimension")]).map(String::as_str), Some("semantic"));

    // Checked at certification: the check's summary and the SATRE statements with their text.
    let org = row("ORG.SET.2");
    assert_eq!(org[col("check")], "blueprint/checks/ORG.SET.2.rq");
    assert!(org[col("check_summary")].contains("incident response procedure"), "{org:?}");
    assert!(!org[col("check_missing")].is_empty());
    assert_eq!(org[col("satre")], "2.6.04; 5.1.04; 5.4.02");
    for index in ["2.6.04", "5.4.02", "5.1.04"] {
        let s = specification().statement(index).unwrap();
        let cited = format!("{index} ({}): {}", s.importance.as_satre(), s.statement);
        assert!(org[col("satre_statements")].contains(&cited), "{cited}");
    }
    assert_eq!(org[col("enforced_by")], "");

    // Enforced at request time: its policies.
    let leg = row("LEG.PEO.2");
    assert_eq!(leg[col("enforced_by")], "people.location");
    assert_eq!(leg[col("checked_at_certification")], "false");
    assert_eq!(leg[col("check")], "");
    assert_eq!(leg[col("gdpr")], "Art 44; Art 45(1)");
}

#[test]
fn markdown_is_the_default_with_every_dimension_and_the_satre_reverse_index() {
    let o = fivesafes(&["blueprint", "export"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let md = String::from_utf8(o.stdout).unwrap();
    assert_eq!(md, export("md"));
    for d in ["Legal", "Organisational", "Technical", "Semantic"] {
        assert!(md.contains(&format!("\n## {d}\n")), "{d}");
    }
    assert!(md.contains("### Technical × Safe People"));
    // Exactly the requirements of blueprint/requirements.ttl that cite SATRE 3.2.04.
    let line = md.lines().find(|l| l.starts_with("| 3.2.04 |")).unwrap();
    assert!(line.ends_with("| TEC.PEO.2, TEC.SET.3 |"), "{line}");
    let line = md.lines().find(|l| l.starts_with("| **LEG.PEO.1**")).unwrap();
    assert!(line.contains("`people.user-agreement`"), "{line}");
}

#[test]
fn html_is_self_contained_escaped_and_anchored() {
    let page = export("html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script") && !page.contains("<link"), "scripts or external files");
    assert!(!page.contains("src=") && !page.contains("href=\"http"), "external references");
    assert!(page.contains("the federation&#39;s user agreement"));
    assert!(!page.contains("the federation's user agreement"));
    for id in ["LEG.PEO.1", "ORG.SET.2", "SEM.OUT.2"] {
        assert!(page.contains(&format!("<tr id=\"{id}\">")), "{id}");
    }
    let line = page.lines().find(|l| l.starts_with("<tr id=\"satre-3.2.04\">")).unwrap();
    assert!(
        line.ends_with("<a href=\"#TEC.PEO.2\">TEC.PEO.2</a>, <a href=\"#TEC.SET.3\">TEC.SET.3</a></td></tr>"),
        "{line}"
    );
}

#[test]
fn out_writes_the_file_and_an_unwritable_one_cannot_be_written() {
    let dir = scratch("blueprint-export");
    let file = dir.join("trace.html");
    let o = fivesafes(&["blueprint", "export", "--format", "html", "--out", file.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), export("html"));
    let bad = dir.join("no-such-dir").join("trace.md");
    let o = fivesafes(&["blueprint", "export", "--out", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 5, "{}", text(&o));
    assert!(text(&o).contains("trace.md"), "{}", text(&o));
}
