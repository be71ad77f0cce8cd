//! Human rendering of a decision: a members x safes matrix with the reasons under it.

use fivesafes_core::{Decision, Outcome, Safe};
use std::fmt::Write;

fn cell(o: Outcome) -> &'static str {
    match o {
        Outcome::Allow => "allow",
        Outcome::Review => "REVIEW",
        Outcome::Deny => "DENY",
    }
}

/// Render a decision as text.
pub fn decision(d: &Decision) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "decision: {}  (action {}, day {})",
        cell(d.decision),
        d.action.as_deref().unwrap_or("?"),
        d.day.as_deref().unwrap_or("?")
    );
    let _ = writeln!(s, "bundle:   {} {} ({})", d.bundle.federation, d.bundle.version, d.bundle.hash);
    if let Some(h) = &d.request_hash {
        let _ = writeln!(s, "request:  {h}");
    }
    let width = d.members.iter().map(|m| m.member.len()).max().unwrap_or(6).max(6);
    let _ = write!(s, "\n{:<width$}  {:<9}", "member", "role");
    for safe in Safe::ALL {
        let _ = write!(s, "  {:<8}", safe.name());
    }
    let _ = writeln!(s, "  overall");
    for m in &d.members {
        let role = serde_json::to_value(m.role).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let _ = write!(s, "{:<width$}  {:<9}", m.member, role);
        for safe in Safe::ALL {
            let o = m.safes.get(&safe).map(|x| x.outcome).unwrap_or(Outcome::Deny);
            let _ = write!(s, "  {:<8}", cell(o));
        }
        let _ = writeln!(s, "  {}", cell(m.outcome));
    }
    let reasons: Vec<_> = d
        .members
        .iter()
        .flat_map(|m| m.safes.values().flat_map(move |sd| sd.reasons.iter().map(move |r| (m, r))))
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(s, "\nreasons:");
        for (m, r) in reasons {
            let local = r.local_rule_of.as_ref().map(|x| format!(", local rule of {x}")).unwrap_or_default();
            let _ = writeln!(
                s,
                "  [{}] {} / {} / {}: {} ({}, {} {}{local})",
                cell(r.outcome),
                m.member,
                r.safe.name(),
                r.dataset.as_deref().unwrap_or("-"),
                r.message,
                r.requirement,
                r.dimension.name(),
                r.policy
            );
            for e in &r.evidence {
                let _ = writeln!(s, "      evidence: {e}");
            }
        }
    }
    if !d.obligations.is_empty() {
        let _ = writeln!(s, "\nobligations:");
        for o in &d.obligations {
            let detail = o.detail.as_ref().map(|x| format!(" ({x})")).unwrap_or_default();
            let scope = if o.datasets.is_empty() { String::new() } else { format!(" for {}", o.datasets.join(", ")) };
            let _ = writeln!(s, "  {} {}{detail}{scope} at {}", o.code, o.label, o.members.join(", "));
        }
    }
    let _ =
        writeln!(s, "\nruns at: {}", if d.runs_at.is_empty() { "nowhere".to_owned() } else { d.runs_at.join(", ") });
    for e in &d.errors {
        let _ = writeln!(s, "error: {e}");
    }
    s
}
