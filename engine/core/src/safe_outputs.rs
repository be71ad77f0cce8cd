//! Safe Outputs at the member that holds the data: each member's risk appetite (read from the
//! bundle) and how an export request's output is judged under it.
//!
//! An export request carries its output's disclosure control either as a bare status (`sdc`)
//! or as the check itself (`check`: what `fivesafes outputs check --format json` prints, made
//! with ACRO's rules under some risk appetite). For every requested dataset the holder judges:
//!
//! - a check made under a risk appetite at least as strict as the holder's, in every key,
//!   stands: its status is the holder's, and its flagged cells become the reasons;
//! - a check made under a laxer one does not vouch for the output at that holder: the output
//!   counts as unchecked there, and the reason names the keys;
//! - a bare status stands as given, but a bare `pass` is not evidence enough without an output
//!   checker's sign-off (the `outputs.checker-signoff` policy).
//!
//! A researcher's exception (ACRO's `add_exception`: why a failing output should still leave)
//! turns a failing output's deny into a review for an output checker, who may grant it by
//! signing off.

use crate::error::BundleError;
use crate::federation::MemberTre;
use crate::rdf::{View, iri, ns};
use crate::request::SdcStatus;
use fivesafes_outputs::RiskAppetite;
use fivesafes_outputs::rules::{Rule, RuleCheck, Status};
use oxigraph::model::NamedOrBlankNodeRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a decision reads of an output's check (the JSON `fivesafes outputs check --format json`
/// prints, `fivesafes_outputs::OutputCheck`): its status, every rule's flagged cells, the
/// labels that name them and the risk appetite it was made under. The rest (the values, a
/// regression's fit) is for the output checker; the request keeps it, and its hash covers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckEvidence {
    /// Fail if any rule fails, else review if any asks for review, else pass.
    pub status: Status,
    /// Every rule that applied, with the cells it flags as `[row, column]` positions.
    pub checks: Vec<RuleCheck>,
    /// The labels of the table's rows and columns.
    pub table: CheckedTable,
    /// What building the output changed (rows left out, records dropped, cells suppressed).
    #[serde(default)]
    pub comments: Vec<String>,
    /// The risk appetite the check was made under, in ACRO's keys.
    pub risk_appetite: RiskAppetite,
}

impl CheckEvidence {
    /// Reads the check a request carries (without copying it). A status better than its own
    /// rules' worst outcome is refused: a check that says `pass` over a failing rule is not the
    /// check `fivesafes outputs check` made.
    ///
    /// # Errors
    /// The check does not have the shape of one, or its status contradicts its rules.
    pub fn read(value: &serde_json::Value) -> Result<CheckEvidence, String> {
        let check = CheckEvidence::deserialize(value)
            .map_err(|e| format!("is not the check `fivesafes outputs check --format json` prints: {e}"))?;
        let worst = fivesafes_outputs::rules::overall(&check.checks);
        if check.status < worst {
            return Err(format!(
                "says `{}`, but its own rules come to `{}`",
                SdcStatus::from(check.status).name(),
                SdcStatus::from(worst).name()
            ));
        }
        Ok(check)
    }
}

impl From<Status> for SdcStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Pass => SdcStatus::Pass,
            Status::Review => SdcStatus::Review,
            Status::Fail => SdcStatus::Fail,
        }
    }
}

/// The labels of a checked table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckedTable {
    /// Per row, its label in each row level.
    pub row_labels: Vec<Vec<String>>,
    /// Per column, its label in each column level.
    pub column_labels: Vec<Vec<String>>,
}

/// Reads the `fs:riskAppetite` of `subject` (named `what` in errors): the keys it gives over
/// `base`. With `base_name` (a member over its federation's baseline) it must be at least as
/// strict as `base` in every key. No `fs:riskAppetite`: `base`.
///
/// # Errors
/// A value that is not a number or boolean of the key's range, more than one risk appetite,
/// or a key laxer than `base`'s.
pub fn read_risk_appetite(
    view: &View<'_>,
    subject: NamedOrBlankNodeRef<'_>,
    what: &str,
    base: &RiskAppetite,
    base_name: Option<&str>,
) -> Result<RiskAppetite, BundleError> {
    let fs = |l: &str| iri(ns::FS, l);
    let nodes = view.nodes(subject, &fs("riskAppetite"));
    let node = match nodes.as_slice() {
        [] => return Ok(base.clone()),
        [one] => one,
        _ => return Err(model(what, "has more than one `fs:riskAppetite`", "give one risk appetite")),
    };
    let s = node.as_ref();
    let mut risk = base.clone();
    let number = |local: &str| -> Result<Option<f64>, BundleError> {
        view.literal(s, &fs(local))
            .map(|text| {
                text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                    model(what, &format!("`fs:{local}` is `{text}`, not a number"), "give a number, e.g. 10 or 0.9")
                })
            })
            .transpose()
    };
    let count = |local: &str| -> Result<Option<u64>, BundleError> {
        view.literal(s, &fs(local))
            .map(|text| {
                text.trim().parse::<u64>().map_err(|_| {
                    model(
                        what,
                        &format!("`fs:{local}` is `{text}`, not a whole number"),
                        "give a whole number, e.g. 10",
                    )
                })
            })
            .transpose()
    };
    let flag = |local: &str| -> Result<Option<bool>, BundleError> {
        view.literal(s, &fs(local))
            .map(|text| match text.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                other => Err(model(what, &format!("`fs:{local}` is `{other}`, not a boolean"), "give true or false")),
            })
            .transpose()
    };
    if let Some(v) = count("safeThreshold")? {
        risk.safe_threshold = v;
    }
    if let Some(v) = count("safeDofThreshold")? {
        risk.safe_dof_threshold = v;
    }
    if let Some(v) = count("safeNkN")? {
        risk.safe_nk_n = v;
    }
    if let Some(v) = number("safeNkK")? {
        risk.safe_nk_k = v;
    }
    if let Some(v) = number("safePratioP")? {
        risk.safe_pratio_p = v;
    }
    if let Some(v) = flag("zerosAreDisclosive")? {
        risk.zeros_are_disclosive = v;
    }
    if let Some(v) = flag("checkMissingValues")? {
        risk.check_missing_values = v;
    }
    risk.validate()
        .map_err(|e| model(what, &format!("its risk appetite is out of range: {e}"), "see ACRO's ranges"))?;
    let laxer = laxer_keys(&risk, base);
    if let (Some(base_name), false) = (base_name, laxer.is_empty()) {
        return Err(model(
            what,
            &format!("its risk appetite is laxer than {base_name}'s in {}", laxer.join(", ")),
            "a member may only restrict the federation's risk appetite",
        ));
    }
    Ok(risk)
}

/// The keys in which `risk` is laxer than `reference` (it would pass a cell `reference` fails),
/// each with both values, in ACRO's key order.
pub fn laxer_keys(risk: &RiskAppetite, reference: &RiskAppetite) -> Vec<String> {
    let mut out = Vec::new();
    let mut key = |laxer: bool, name: &str, mine: String, theirs: String| {
        if laxer {
            out.push(format!("{name} {mine} (not {theirs})"));
        }
    };
    key(
        risk.safe_threshold < reference.safe_threshold,
        "safe_threshold",
        show(risk.safe_threshold),
        show(reference.safe_threshold),
    );
    key(
        risk.safe_dof_threshold < reference.safe_dof_threshold,
        "safe_dof_threshold",
        show(risk.safe_dof_threshold),
        show(reference.safe_dof_threshold),
    );
    // The N largest of a cell make a larger share the larger N is: a smaller N fails fewer.
    key(risk.safe_nk_n < reference.safe_nk_n, "safe_nk_n", show(risk.safe_nk_n), show(reference.safe_nk_n));
    key(risk.safe_nk_k > reference.safe_nk_k, "safe_nk_k", show(risk.safe_nk_k), show(reference.safe_nk_k));
    key(
        risk.safe_pratio_p < reference.safe_pratio_p,
        "safe_pratio_p",
        show(risk.safe_pratio_p),
        show(reference.safe_pratio_p),
    );
    key(
        !risk.zeros_are_disclosive && reference.zeros_are_disclosive,
        "zeros_are_disclosive",
        show(risk.zeros_are_disclosive),
        show(reference.zeros_are_disclosive),
    );
    key(
        !risk.check_missing_values && reference.check_missing_values,
        "check_missing_values",
        show(risk.check_missing_values),
        show(reference.check_missing_values),
    );
    out
}

fn show(v: impl std::fmt::Display) -> String {
    v.to_string()
}

/// How the holder of a dataset judges an export request's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputJudgement {
    /// The disclosure control status at the holder.
    pub sdc: SdcStatus,
    /// Whether a check under a risk appetite at least as strict as the holder's stands behind
    /// the status.
    pub checked: bool,
    /// Sentences saying what the status rests on (the failing cells and rules).
    pub notes: Vec<String>,
}

/// Judges an output at `holder`, from its check or, without one, its stated status.
pub fn judge(check: Option<&CheckEvidence>, stated: Option<SdcStatus>, holder: &MemberTre) -> OutputJudgement {
    let Some(check) = check else {
        let sdc = stated.unwrap_or(SdcStatus::Unchecked);
        return OutputJudgement {
            sdc,
            checked: false,
            notes: vec![format!("disclosure control result: {} (stated, no check attached)", sdc.name())],
        };
    };
    let laxer = laxer_keys(&check.risk_appetite, &holder.risk_appetite);
    if !laxer.is_empty() {
        return OutputJudgement {
            sdc: SdcStatus::Unchecked,
            checked: false,
            notes: vec![format!(
                "the output was checked under a risk appetite laxer than `{}`'s: {}; check it again under `{}`'s (fivesafes outputs check --member {})",
                holder.id,
                laxer.join(", "),
                holder.id,
                holder.id
            )],
        };
    }
    let sdc = SdcStatus::from(check.status);
    let mut notes = vec![format!(
        "disclosure control with ACRO's rules under a risk appetite at least as strict as `{}`'s: {}",
        holder.id,
        sdc.name()
    )];
    notes.extend(check.checks.iter().filter(|c| c.status != Status::Pass).map(|c| flagged(check, c)));
    notes.extend(check.comments.iter().map(|c| format!("note: {c}")));
    OutputJudgement { sdc, checked: true, notes }
}

/// The most cells a reason lists by label; the rest are counted.
const CELLS_SHOWN: usize = 8;

/// One rule's outcome, its flagged cells named by their row and column labels.
fn flagged(check: &CheckEvidence, c: &RuleCheck) -> String {
    let name = rule_name(c.rule);
    let label = |labels: &[Vec<String>], i: usize| -> String {
        labels
            .get(i)
            .map(|l| l.iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" / "))
            .unwrap_or_else(|| format!("#{i}"))
    };
    let mut cells: Vec<String> = c
        .cells
        .iter()
        .take(CELLS_SHOWN)
        .map(|[r, col]| {
            format!("[{}, {}]", label(&check.table.row_labels, *r), label(&check.table.column_labels, *col))
        })
        .collect();
    if c.cells.len() > CELLS_SHOWN {
        cells.push(format!("and {} more", c.cells.len() - CELLS_SHOWN));
    }
    let status = match c.status {
        Status::Fail => "fails",
        Status::Review => "asks for review",
        Status::Pass => "passes",
    };
    match (cells.is_empty(), &c.note) {
        (true, Some(note)) => format!("{name} {status}: {note}"),
        (true, None) => format!("{name} {status}"),
        (false, _) => format!(
            "{name} {status} in {} cell{}: {}",
            c.cells.len(),
            if c.cells.len() == 1 { "" } else { "s" },
            cells.join(", ")
        ),
    }
}

/// ACRO's name of a rule.
fn rule_name(rule: Rule) -> String {
    serde_json::to_value(rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| format!("{rule:?}"))
}

fn model(subject: &str, message: &str, help: &str) -> BundleError {
    BundleError::Model { subject: subject.to_owned(), message: message.to_owned(), help: Some(help.to_owned()) }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, reason = "tests")]
    use super::*;
    use crate::{Bundle, embedded};

    fn bundle_with(edit: impl Fn(&str) -> String) -> Result<Bundle, BundleError> {
        let mut files = embedded::default_sources();
        for f in files.iter_mut().filter(|f| f.name.ends_with("federation.ttl")) {
            f.text = edit(&f.text);
        }
        Bundle::load(&files)
    }

    /// 12 records at (a, p), 3 at (a, q), 10 at (b, p), none at (b, q).
    fn table_check(risk: Option<&str>) -> CheckEvidence {
        let mut csv = String::from("g,h\n");
        for (g, h, n) in [("a", "p", 12), ("a", "q", 3), ("b", "p", 10)] {
            for _ in 0..n {
                csv.push_str(&format!("{g},{h}\n"));
            }
        }
        let spec = r#"{"method": "crosstab", "index": "g", "columns": "h", "margins": true}"#;
        let check = fivesafes_outputs::check(csv.as_bytes(), "t.csv", spec, risk).unwrap();
        serde_json::from_value(serde_json::to_value(check).unwrap()).unwrap()
    }

    #[test]
    fn the_example_members_read_their_risk_appetites() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let members = &bundle.federation.members;
        assert_eq!(bundle.federation.risk_appetite, RiskAppetite::default());
        assert_eq!(members["gb-sail"].risk_appetite.safe_threshold, 20);
        assert_eq!(members["gb-sail"].risk_appetite.safe_dof_threshold, 20);
        assert!(members["fi-fin"].risk_appetite.check_missing_values && members["fi-fin"].output_sign_off);
        assert_eq!(members["de-hd"].risk_appetite, RiskAppetite::default());
        assert!(!members["de-hd"].output_sign_off);
    }

    #[test]
    fn a_member_may_not_widen_the_federations_risk_appetite() {
        let err = bundle_with(|t| {
            t.replacen(
                "fs:riskAppetite [ a fs:RiskAppetite ; fs:safeThreshold 20 ;",
                "fs:riskAppetite [ a fs:RiskAppetite ; fs:safeThreshold 5 ;",
                1,
            )
        })
        .unwrap_err();
        let err = format!("{err:?}");
        assert!(err.contains("laxer than the federation's in safe_threshold 5 (not 10)"), "{err}");
        let err =
            format!("{:?}", bundle_with(|t| t.replacen("fs:safeNkK 0.9 ;", "fs:safeNkK \"most\" ;", 1)).unwrap_err());
        assert!(err.contains("`fs:safeNkK` is `most`, not a number"), "{err}");
        let err = format!(
            "{:?}",
            bundle_with(|t| t.replacen("fs:outputSignOff true", "fs:outputSignOff \"sometimes\"", 1)).unwrap_err()
        );
        assert!(err.contains("`fs:outputSignOff` is `sometimes`"), "{err}");
    }

    #[test]
    fn a_check_stands_at_a_holder_no_stricter_than_it_and_names_the_cells() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let (de, gb) = (&bundle.federation.members["de-hd"], &bundle.federation.members["gb-sail"]);
        let check = table_check(None);
        assert_eq!(check.status, fivesafes_outputs::Status::Fail);
        let judged = judge(Some(&check), None, de);
        assert_eq!((judged.sdc, judged.checked), (SdcStatus::Fail, true));
        assert!(
            judged.notes.iter().any(|n| n == "threshold fails in 3 cells: [a, q], [b, q], [All, q]"),
            "{:#?}",
            judged.notes
        );
        assert!(judged.notes.iter().any(|n| n == "zeros fails in 1 cell: [b, q]"), "{:#?}", judged.notes);
        // The same check does not vouch for the output where the threshold is 20.
        let judged = judge(Some(&check), None, gb);
        assert_eq!((judged.sdc, judged.checked), (SdcStatus::Unchecked, false));
        assert!(
            judged.notes[0].contains("safe_threshold 10 (not 20), safe_dof_threshold 10 (not 20)"),
            "{:#?}",
            judged.notes
        );
        // Checked under gb-sail's own appetite, it stands there.
        let strict = table_check(Some(r#"{"safe_threshold": 20, "safe_dof_threshold": 20}"#));
        let judged = judge(Some(&strict), None, gb);
        assert_eq!((judged.sdc, judged.checked), (SdcStatus::Fail, true));
        assert!(judged.notes.iter().any(|n| n.starts_with("threshold fails in 7 cells:")), "{:#?}", judged.notes);
    }

    #[test]
    fn a_check_whose_status_hides_a_failing_rule_is_refused() {
        let mut value = serde_json::to_value(table_check(None)).unwrap();
        assert!(CheckEvidence::read(&value).is_ok());
        value["status"] = serde_json::json!("pass");
        let err = CheckEvidence::read(&value).unwrap_err();
        assert_eq!(err, "says `pass`, but its own rules come to `fail`");
        value["status"] = serde_json::json!("maybe");
        assert!(CheckEvidence::read(&value).unwrap_err().starts_with("is not the check"));
    }

    #[test]
    fn a_stated_status_stands_as_stated_and_is_not_a_check() {
        let bundle = Bundle::load(&embedded::default_sources()).unwrap();
        let de = &bundle.federation.members["de-hd"];
        for sdc in [SdcStatus::Pass, SdcStatus::Review, SdcStatus::Fail, SdcStatus::Unchecked] {
            let judged = judge(None, Some(sdc), de);
            assert_eq!((judged.sdc, judged.checked), (sdc, false));
        }
        assert_eq!(judge(None, None, de).sdc, SdcStatus::Unchecked);
    }

    #[test]
    fn laxer_in_every_direction_of_every_key() {
        let base = RiskAppetite::default();
        assert!(laxer_keys(&base, &base).is_empty());
        let strict = RiskAppetite {
            safe_threshold: 20,
            safe_dof_threshold: 20,
            safe_nk_n: 3,
            safe_nk_k: 0.8,
            safe_pratio_p: 0.2,
            zeros_are_disclosive: true,
            check_missing_values: true,
            ..RiskAppetite::default()
        };
        assert!(laxer_keys(&strict, &base).is_empty());
        let keys: Vec<String> =
            laxer_keys(&base, &strict).iter().map(|k| k.split(' ').next().unwrap().to_owned()).collect();
        assert_eq!(
            keys,
            ["safe_threshold", "safe_dof_threshold", "safe_nk_n", "safe_nk_k", "safe_pratio_p", "check_missing_values"]
        );
        let no_zeros = RiskAppetite { zeros_are_disclosive: false, ..RiskAppetite::default() };
        assert_eq!(laxer_keys(&no_zeros, &base), ["zeros_are_disclosive false (not true)"]);
    }
}
