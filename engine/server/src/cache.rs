//! Decisions already made under the bundle being served, by request text.
//!
//! A decision is a function of the bundle, the request's text and the options alone: the
//! request carries its own time and the engine reads no clock. So a request repeated verbatim
//! (every call of one session through an `auth_request` gateway carries the same request) can
//! be answered with the decision already made, byte for byte the same. It is still a decision
//! of its own: a new id, a new entry in the decision log. The cache belongs to one loaded
//! bundle, so a reload starts an empty one; it is bounded in bytes (request and decision
//! text), and `--decision-cache-bytes 0` turns it off. Only decided and invalid requests are
//! kept, never an engine failure.

use crate::deciding::{Made, Verdict};
use fivesafes_core::DecideOptions;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;

#[derive(Clone)]
struct ByText;

impl Weighter<String, Arc<Made>> for ByText {
    fn weight(&self, key: &String, made: &Arc<Made>) -> u64 {
        // The request's text, the decision's JSON, and about as much again for the decision.
        (key.len() as u64).saturating_add(2u64.saturating_mul(made.json.len() as u64)).max(1)
    }
}

/// Decisions by request text, one cache per value of the options.
pub struct DecisionCache {
    holders: Cache<String, Arc<Made>, ByText>,
    all_members: Cache<String, Arc<Made>, ByText>,
}

impl DecisionCache {
    /// A cache of at most `bytes` (none for 0).
    pub fn new(bytes: u64) -> Option<DecisionCache> {
        if bytes == 0 {
            return None;
        }
        // Estimated entries: a request and its decision take a few kilobytes.
        let items = usize::try_from(bytes / 4096).unwrap_or(usize::MAX).clamp(16, 1 << 20);
        Some(DecisionCache {
            holders: Cache::with_weighter(items, bytes / 2, ByText),
            all_members: Cache::with_weighter(items, bytes / 2, ByText),
        })
    }

    fn of(&self, options: DecideOptions) -> &Cache<String, Arc<Made>, ByText> {
        if options.all_members { &self.all_members } else { &self.holders }
    }

    /// The decision already made for this text, if any.
    pub fn get(&self, text: &str, options: DecideOptions) -> Option<Arc<Made>> {
        self.of(options).get(text)
    }

    /// Keep a decision made for this text (not an engine failure).
    pub fn keep(&self, text: &str, options: DecideOptions, made: &Arc<Made>) {
        if matches!(made.verdict, Verdict::Decided | Verdict::Invalid(_)) {
            self.of(options).insert(text.to_owned(), Arc::clone(made));
        }
    }
}
