//! `fivesafes explain`: every deny and review of a decision, down to the condition that decided
//! it and the changes of evidence that flip it.

use crate::decide::{Format, read_request};
use crate::exit::Exit;
use fivesafes_core::explain::{Explanation, Node};
use fivesafes_core::{DecideOptions, DecisionRequest, Outcome, explain};
use std::path::PathBuf;

/// Arguments of `fivesafes explain`.
#[derive(clap::Args)]
pub struct Args {
    /// The request (JSON, schemas/request.schema.json); `-` reads standard input.
    request: PathBuf,
    #[command(flatten)]
    bundle: crate::sources::BundleArgs,
    /// Evaluate every member as a possible site ("where could this run?").
    #[arg(long)]
    all_members: bool,
    /// Output format (JSON: schemas/explanation.schema.json).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Run the command; exit codes as `decide`.
pub fn run(args: &Args) -> Exit {
    let text = match read_request(&args.request) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let bundle = match args.bundle.load() {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let req = match DecisionRequest::from_json(&text) {
        Ok(r) => r,
        Err(e) => return crate::fail(e, Exit::InvalidInput),
    };
    let x = match explain(&bundle, &req, DecideOptions { all_members: args.all_members }) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::InvalidInput;
        }
    };
    match args.format {
        Format::Json => crate::outln!("{}", serde_json::to_string_pretty(&x).unwrap_or_default()),
        Format::Human => crate::out!("{}", human(&x)),
    }
    match x.decision {
        Outcome::Allow => Exit::Allow,
        Outcome::Review => Exit::Review,
        Outcome::Deny => Exit::Deny,
    }
}

fn human(x: &Explanation) -> String {
    let mut s = format!(
        "decision: {}  (day {}, bundle {} {})\n",
        x.decision.name().to_uppercase(),
        x.day.as_deref().unwrap_or("?"),
        x.bundle.federation,
        x.bundle.version
    );
    for e in &x.errors {
        s.push_str(&format!("error: {e}\n"));
    }
    if x.explained.is_empty() {
        s.push_str("nothing to explain: no Safe is denied or sent to review\n");
    }
    for e in &x.explained {
        let dataset = e.dataset.as_deref().map(|d| format!(" / {d}")).unwrap_or_default();
        let local = e.local_rule_of.as_deref().map(|m| format!(", local rule of {m}")).unwrap_or_default();
        s.push_str(&format!(
            "\n[{}] {} / {}{dataset}: {} ({}{local})\n  {}\n",
            e.outcome.name().to_uppercase(),
            e.member,
            e.safe.name(),
            e.policy,
            e.requirement,
            e.message
        ));
        for ev in &e.evidence {
            s.push_str(&format!("  evidence: {ev}\n"));
        }
        s.push_str("  decided by:\n");
        for c in &e.conditions {
            s.push_str(&format!("    {} {{ {} }} is {}\n", c.kind, c.condition.expression, c.condition.value));
            tree(&c.condition, 3, &mut s);
        }
        if e.remedies.is_empty() {
            s.push_str("  no change of the request's evidence alone flips it\n");
        } else {
            s.push_str("  what would flip it:\n");
            for r in &e.remedies {
                s.push_str(&format!("    - {}: {}\n", r.change, r.then));
                if let Some(p) = &r.patch {
                    s.push_str(&format!("      request change (JSON merge patch): {p}\n"));
                }
            }
        }
    }
    s
}

fn tree(n: &Node, depth: usize, s: &mut String) {
    // The clause itself is printed above; show its parts.
    for p in &n.parts {
        let note = p.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        let mark = if p.deciding { "   <- decides" } else { "" };
        s.push_str(&format!("{}{} = {}{note}{mark}\n", "  ".repeat(depth), p.expression, p.value));
        tree(p, depth + 1, s);
    }
    if n.parts.is_empty() && n.deciding && depth == 3 {
        s.push_str(&format!("{}(this condition decides)\n", "  ".repeat(depth)));
    }
}
