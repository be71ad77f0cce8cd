//! The fivesafes engine as a WASI component: the `fivesafes:engine/decider` interface of
//! `wit/engine.wit` over the core's JSON contract. A gateway loads it with the wasmtime host
//! (`fivesafes-host`), or with any component runtime.
//!
//! The component holds one compiled bundle at a time. It decides from that bundle alone: no RDF
//! is parsed and nothing outside the component is read.

use fivesafes_core::duo::MatchOptions;
use fivesafes_core::{Bundle, DecideOptions, Decision, decide_json};
use std::cell::RefCell;

/// Guest bindings generated from the WIT world.
mod bindings {
    #![allow(missing_docs)]
    wit_bindgen::generate!({ world: "gateway", path: "wit" });
}
use bindings::exports::fivesafes::engine::decider::Guest;

thread_local! {
    static BUNDLE: RefCell<Option<Bundle>> = const { RefCell::new(None) };
}

struct Engine;

/// The error of a call made before any bundle was loaded.
const NO_BUNDLE: &str = "no bundle is loaded: call `load` with a compiled bundle first";

impl Guest for Engine {
    fn load(compiled_bundle: String) -> Result<String, String> {
        let bundle = Bundle::from_compiled_json(&compiled_bundle).map_err(|e| e.to_string())?;
        let reference = serde_json::to_string(&bundle.reference()).map_err(|e| e.to_string())?;
        BUNDLE.with(|b| *b.borrow_mut() = Some(bundle));
        Ok(reference)
    }

    fn decide(request: String, all_members: bool) -> String {
        BUNDLE.with(|b| match b.borrow().as_ref() {
            Some(bundle) => decide_json(bundle, &request, DecideOptions { all_members }).to_json(),
            None => Decision::failed_under(empty_reference(), None, NO_BUNDLE.to_owned()).to_json(),
        })
    }

    fn duo_match(purpose: String, dataset: String, duos_strict: bool) -> Result<String, String> {
        BUNDLE.with(|b| {
            let guard = b.borrow();
            let bundle = guard.as_ref().ok_or_else(|| NO_BUNDLE.to_owned())?;
            let options = MatchOptions { duos_strict, ..MatchOptions::default() };
            let result = fivesafes_core::matching::match_json(&purpose, &dataset, &bundle.vocab, &options)
                .map_err(|e| e.to_string())?;
            serde_json::to_string_pretty(&result).map_err(|e| e.to_string())
        })
    }
}

fn empty_reference() -> fivesafes_core::BundleRef {
    fivesafes_core::BundleRef {
        federation: String::new(),
        version: String::new(),
        blueprint_version: String::new(),
        hash: String::new(),
    }
}

// Exported only when built for WebAssembly: the export names (`fivesafes:engine/...`) are not
// symbols a native linker accepts, and natively the crate is only checked and tested.
#[cfg(target_arch = "wasm32")]
bindings::export!(Engine with_types_in bindings);
