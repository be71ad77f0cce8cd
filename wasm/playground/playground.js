// The Five Safes policy playground: edit a bundle's sources and a request, and the engine
// (the wasm-bindgen browser package in ../pkg) validates and decides as you type.
// Plain ES module, no dependencies, nothing fetched but ../pkg and ./examples.json.
import init, { Engine, embeddedSources, validate, version } from "../pkg/fivesafes_wasm.js";

const SAFES = ["people", "projects", "settings", "data", "outputs"];
const RDF_EXTENSIONS = [".ttl", ".jsonld", ".nt", ".owl", ".rdf"];
// Roles a dropped bundle keeps from the embedded set (minus the example diseases vocabulary).
const BASELINE_ROLES = ["vocabulary", "blueprint", "schema", "baseline-policy"];
const EXAMPLE_VOCABULARY = "vocab/diseases.ttl";
const ROLE_LABELS = {
  "baseline-policy": "Baseline policies",
  "local-policy": "Member policies",
  schema: "Cedar schema",
  federation: "Federation",
  vocabulary: "Vocabularies",
  blueprint: "Blueprint",
  keys: "Visa issuers' keys",
};
const DEBOUNCE_MS = 200;

const $ = (id) => document.getElementById(id);
const ui = {
  version: $("version"),
  bundleInput: $("bundle-input"),
  bundleStatus: $("bundle-status"),
  reset: $("reset-sources"),
  fileSelect: $("file-select"),
  fileRole: $("file-role"),
  source: $("source-editor"),
  sourceGutter: $("source-gutter"),
  validity: $("validity"),
  diagnostics: $("diagnostic-list"),
  exampleSelect: $("example-select"),
  allMembers: $("all-members"),
  request: $("request-editor"),
  requestGutter: $("request-gutter"),
  decisionPanel: document.querySelector(".panel.decision"),
  overall: $("overall"),
  staleNote: $("stale-note"),
  errors: $("errors"),
  matrix: $("matrix"),
  runsAt: $("runs-at"),
  bundleRef: $("bundle-ref"),
  reasons: $("reasons"),
  obligations: $("obligations"),
  dropOverlay: $("drop-overlay"),
};

const state = {
  embedded: [], // the package's embedded sources, pristine
  sources: [], // the working set: [{role, name, text}]
  current: null, // name of the file in the source editor
  examples: [], // [{name, text}]
  sourcesVersion: 0, // bumped on every change to the sources
  checkedVersion: -1, // the version `validation` and `engine` are for
  validation: null, // {valid, diagnostics, warnings}
  engine: null, // cached Engine for the current sources (null when invalid)
  decision: null, // the last good decision
  explanation: null, // its explanation (denies and reviews), when there is one
  stale: false, // whether `decision` predates the current (invalid) sources
  runs: 0, // decisions rendered so far (for tests)
};

// ---------------------------------------------------------------------------------------
// Small DOM helpers

/** Create an element: h("li", {class: "x", onclick: f}, "text", child, ...). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

const badge = (outcome) => h("span", { class: `badge o-${outcome}` }, outcome);

/** Line numbers beside a textarea; `marks` maps line numbers to a tooltip. */
function renderGutter(gutter, textarea, marks = new Map()) {
  const count = textarea.value.split("\n").length;
  const lines = [];
  for (let n = 1; n <= count; n++) {
    const mark = marks.get(n);
    lines.push(mark ? h("span", { class: "mark", title: mark }, String(n)) : String(n), "\n");
  }
  lines.push("\n\n"); // room for the textarea's horizontal scrollbar
  gutter.replaceChildren(...lines);
  gutter.scrollTop = textarea.scrollTop;
}

/** Select a whole line (1-based) of a textarea and scroll it into view. */
function selectLine(textarea, line) {
  const lines = textarea.value.split("\n");
  const n = Math.min(Math.max(1, line), lines.length);
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += lines[i].length + 1;
  textarea.focus({ preventScroll: true });
  textarea.setSelectionRange(start, start + lines[n - 1].length);
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (n - 1) * lineHeight - textarea.clientHeight / 3);
  textarea.closest(".editor")?.scrollIntoView({ block: "nearest" });
}

// ---------------------------------------------------------------------------------------
// Sources: the file picker and editor

function fillFileSelect() {
  const groups = Object.keys(ROLE_LABELS).map((role) => {
    const files = state.sources.filter((s) => s.role === role);
    if (!files.length) return null;
    return h("optgroup", { label: ROLE_LABELS[role] },
      files.map((s) => h("option", { value: s.name }, s.name)));
  });
  ui.fileSelect.replaceChildren(...groups.filter(Boolean));
}

/** Show a source file in the editor (and optionally select a line of it). */
function openFile(name, line) {
  const file = state.sources.find((s) => s.name === name);
  if (!file) return false;
  if (state.current !== name) {
    state.current = name;
    ui.fileSelect.value = name;
    ui.fileRole.textContent = file.role;
    ui.source.value = file.text;
    ui.source.scrollTop = 0;
    ui.source.scrollLeft = 0;
    renderDiagnostics();
  }
  if (line) selectLine(ui.source, line);
  return true;
}

/** Replace the whole working set of sources (on load, a dropped bundle, reset). */
function setSources(sources) {
  state.sources = sources;
  state.sourcesVersion++;
  fillFileSelect();
  const keep = sources.some((s) => s.name === state.current) ? state.current : null;
  state.current = null;
  const first = sources.find((s) => s.role === "local-policy") ?? sources.find((s) => s.role === "baseline-policy") ?? sources[0];
  openFile(keep ?? first?.name);
  run();
}

/** The line a policy's `@id("...")` annotation is on, in whichever file has it. */
function findPolicy(policyId) {
  const needle = `@id("${policyId}")`;
  for (const file of state.sources) {
    const at = file.text.indexOf(needle);
    if (at >= 0) return { name: file.name, line: file.text.slice(0, at).split("\n").length };
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// Diagnostics, shown next to the source editor

function location(d) {
  return [d.file ?? "bundle", d.line, d.column].filter((x) => x != null).join(":");
}

function renderDiagnostics() {
  const v = state.validation;
  const marks = new Map();
  if (!v) {
    ui.validity.textContent = "";
    ui.diagnostics.replaceChildren();
    renderGutter(ui.sourceGutter, ui.source, marks);
    return;
  }
  const items = v.diagnostics.map((d) => {
    const here = d.file != null && d.file === state.current;
    if (here && d.line != null) marks.set(d.line, d.message);
    const target = d.file && state.sources.some((s) => s.name === d.file);
    const where = target
      ? h("button", { type: "button", class: "link loc", onclick: () => openFile(d.file, d.line ?? undefined) },
          location(d))
      : h("span", { class: "loc" }, location(d));
    return h("li", { class: `diag${here ? " here" : ""}` },
      here && d.line != null ? h("span", { class: "marker" }, `line ${d.line}`) : null,
      where, " ", h("span", { class: "msg" }, d.message),
      d.help ? h("div", { class: "help" }, "help: ", d.help) : null,
      h("div", { class: "code" }, d.code));
  });
  const warnings = (v.warnings ?? []).map((w) =>
    h("li", { class: "warning" }, h("span", { class: "loc" }, "warning"), " ", typeof w === "string" ? w : JSON.stringify(w)));
  ui.diagnostics.replaceChildren(...items, ...warnings);
  const inFile = v.diagnostics.filter((d) => d.file === state.current).length;
  ui.validity.className = `validity ${v.valid ? "ok" : "bad"}`;
  ui.validity.textContent = v.valid
    ? "✓ The bundle validates."
    : `✗ ${v.diagnostics.length} problem${v.diagnostics.length === 1 ? "" : "s"}` +
      (inFile ? `, ${inFile} in this file` : "") + ": the decision shown is the last good one.";
  renderGutter(ui.sourceGutter, ui.source, marks);
}

// ---------------------------------------------------------------------------------------
// Validate, build and decide

let timer = null;
function schedule(delay = DEBOUNCE_MS) {
  clearTimeout(timer);
  timer = setTimeout(run, delay);
}

/** Validate the sources if they changed (caching the engine), then decide the request. */
function run() {
  clearTimeout(timer);
  if (state.checkedVersion !== state.sourcesVersion) {
    state.checkedVersion = state.sourcesVersion;
    const json = JSON.stringify(state.sources);
    state.engine?.free();
    state.engine = null;
    state.validation = JSON.parse(validate(json));
    if (state.validation.valid) {
      try {
        state.engine = Engine.fromSources(json);
      } catch (e) {
        // Should not happen after a clean validation, but say so if it does.
        state.validation = {
          valid: false,
          diagnostics: [{ code: "engine", file: null, line: null, column: null, message: String(e?.message ?? e), help: null }],
          warnings: state.validation.warnings,
        };
      }
    }
    renderDiagnostics();
  }
  if (!state.engine) {
    setStale(true);
    return;
  }
  state.decision = JSON.parse(state.engine.decide(ui.request.value, ui.allMembers.checked));
  // Explanations: the condition that decided each deny or review, and what would flip it.
  state.explanation = null;
  if (state.decision.decision !== "allow" && state.decision.errors.length === 0) {
    try {
      state.explanation = JSON.parse(state.engine.explain(ui.request.value, ui.allMembers.checked));
    } catch {
      // An invalid request has no explanation; its errors are shown with the decision.
    }
  }
  setStale(false);
  renderDecision(state.decision);
  state.runs++;
}

function setStale(stale) {
  state.stale = stale;
  ui.decisionPanel.classList.toggle("stale", stale);
  ui.decisionPanel.setAttribute("aria-busy", String(stale));
  ui.staleNote.hidden = !stale;
}

// ---------------------------------------------------------------------------------------
// The decision

function renderDecision(d) {
  ui.overall.textContent = d.decision;
  ui.overall.className = `badge big o-${d.decision}`;

  ui.errors.replaceChildren(...(d.errors.length
    ? [h("div", { class: "error-box", role: "alert" },
        h("strong", {}, "The request could not be judged:"),
        h("ul", {}, d.errors.map(renderError)))]
    : []));

  const requestMarks = new Map();
  for (const e of d.errors) {
    const at = /at line (\d+), column \d+/.exec(e);
    if (at) requestMarks.set(Number(at[1]), e);
  }
  renderGutter(ui.requestGutter, ui.request, requestMarks);

  // Members × Safes matrix.
  const head = h("tr", {}, h("th", { scope: "col" }, "Member"),
    SAFES.map((s) => h("th", { scope: "col" }, s)), h("th", { scope: "col" }, "overall"));
  const rows = d.members.map((m) => h("tr", {},
    h("th", { scope: "row" },
      h("span", { class: "member-name" }, m.name),
      h("span", { class: "member-id" }, `${m.member} · ${m.role}`)),
    SAFES.map((safe) => {
      const s = m.safes[safe];
      const outcome = s?.outcome ?? "allow";
      const why = s?.reasons.map((r) => `${r.requirement}: ${r.message}`).join("\n");
      return h("td", { class: `cell o-${outcome}`, "data-testid": `cell-${m.member}-${safe}`, title: why || null },
        outcome === "allow" ? outcome : h("a", { href: `#reasons-${m.member}` }, outcome));
    }),
    h("td", { class: `cell overall o-${m.outcome}`, "data-testid": `cell-${m.member}-overall` }, m.outcome)));
  ui.matrix.tHead.replaceChildren(head);
  ui.matrix.tBodies[0].replaceChildren(...(rows.length ? rows
    : [h("tr", {}, h("td", { colspan: SAFES.length + 2, class: "empty" }, "No member was evaluated."))]));

  ui.runsAt.textContent = d.runsAt.length ? d.runsAt.join(", ") : "nowhere";
  ui.bundleRef.textContent = d.bundle
    ? `${d.bundle.federation} ${d.bundle.version} (blueprint ${d.bundle.blueprintVersion}, ${d.bundle.hash.slice(0, 19)}…)`
    : "";

  ui.reasons.replaceChildren(...d.members.map(renderMemberReasons));
  if (!d.members.length) ui.reasons.append(h("p", { class: "muted" }, "None."));

  ui.obligations.replaceChildren(...(d.obligations.length
    ? d.obligations.map((o) => h("li", {},
        h("strong", {}, o.label), " ", h("code", { title: o.term }, o.code),
        o.detail ? h("div", {}, o.detail) : null,
        h("div", { class: "muted" },
          o.datasets.length ? `datasets: ${o.datasets.join(", ")}; ` : "",
          `members: ${o.members.join(", ")}`)))
    : [h("li", { class: "muted" }, "None.")]));
}

/** A request error; one naming a line of the request gets a button that selects it. */
function renderError(message) {
  const at = /at line (\d+), column \d+/.exec(message);
  return h("li", {}, message, at
    ? h("button", { type: "button", class: "link", onclick: () => selectLine(ui.request, Number(at[1])) },
        `show line ${at[1]}`)
    : null);
}

function renderMemberReasons(m) {
  const reasons = SAFES.flatMap((safe) => (m.safes[safe]?.reasons ?? []).map((r) => ({ ...r, member: m.member })));
  return h("section", { class: "member-reasons", id: `reasons-${m.member}` },
    h("h4", {}, badge(m.outcome), " ", m.name, " ",
      h("span", { class: "muted" }, `${m.member} · ${m.role} · ${m.datasets.join(", ")}`)),
    reasons.length
      ? h("ul", { class: "reason-list" }, reasons.map(renderReason))
      : h("p", { class: "muted" }, "Every Safe allows."));
}

function renderReason(r) {
  const found = findPolicy(r.policy);
  const policy = found
    ? h("button", {
        type: "button", class: "link policy", title: `Open ${found.name} at line ${found.line}`,
        onclick: () => openFile(found.name, found.line),
      }, r.policy)
    : h("code", {}, r.policy);
  return h("li", { class: `reason o-${r.outcome}` },
    h("div", { class: "reason-head" },
      badge(r.outcome), " ",
      h("code", { class: "requirement" }, r.requirement), " ",
      h("span", { class: "tag" }, r.safe), " ",
      h("span", { class: "tag" }, r.dimension)),
    h("p", { class: "message" }, r.message),
    h("div", { class: "meta" },
      "policy ", policy,
      r.localRuleOf ? ` · local rule of ${r.localRuleOf}` : "",
      r.dataset ? ` · dataset ${r.dataset}` : ""),
    r.evidence?.length
      ? h("ul", { class: "evidence" }, r.evidence.map((e) => h("li", {}, e)))
      : null,
    renderExplained(r));
}

/** Why a reason holds: the policy's conditions as Cedar evaluated them, and what would flip it. */
function renderExplained(r) {
  const e = state.explanation?.explained.find((x) =>
    x.member === r.member && x.safe === r.safe && x.policy === r.policy && x.dataset === r.dataset);
  if (!e) return null;
  const node = (n) => h("li", { class: n.deciding ? "deciding" : null },
    h("code", {}, n.expression), " = ", h("code", {}, n.value),
    n.note ? h("span", { class: "muted" }, ` (${n.note})`) : null,
    n.deciding ? h("span", { class: "tag" }, "decides") : null,
    n.parts?.length ? h("ul", {}, n.parts.map(node)) : null);
  return h("details", { class: "explained", "data-testid": `explained-${e.member}-${e.policy}` },
    h("summary", {}, "Why, and what would change it"),
    e.conditions.length
      ? h("ul", { class: "conditions" }, e.conditions.map((c) => h("li", {},
          h("code", {}, `${c.kind} { ${c.condition.expression} }`), " is ", h("code", {}, c.condition.value),
          c.condition.parts?.length ? h("ul", {}, c.condition.parts.map(node)) : null)))
      : h("p", { class: "muted" }, "The policy has no conditions: its scope alone decides."),
    e.remedies.length
      ? h("ul", { class: "remedies" }, e.remedies.map((x) => h("li", {}, `${x.change}: ${x.then}.`)))
      : h("p", { class: "muted" }, "No change of the request's evidence alone flips it."));
}

// ---------------------------------------------------------------------------------------
// Dropping in a bundle

/** Role and name of a dropped file (`path` may include the folders it came from). */
function classify(file, path) {
  const lower = file.name.toLowerCase();
  const folders = path.split("/").slice(0, -1).map((f) => f.toLowerCase());
  if (lower.endsWith(".cedar")) return { role: "local-policy", name: `policies/members/${file.name}` };
  // A passport visa issuer's key set (`fs:jwksFile`): `*.jwks.json`, or any JSON in a keys folder.
  if (lower.endsWith(".jwks.json") || (lower.endsWith(".json") && folders.includes("keys"))) {
    return { role: "keys", name: `keys/${file.name}` };
  }
  if (RDF_EXTENSIONS.some((ext) => lower.endsWith(ext))) {
    return lower.startsWith("vocab") || folders.includes("vocab")
      ? { role: "vocabulary", name: `vocab/${file.name}` }
      : { role: "federation", name: `federation/${file.name}` };
  }
  return null;
}

/** Replace the example federation with dropped files: [{file, path}]. */
async function loadBundle(entries) {
  const dropped = [];
  const skipped = [];
  for (const { file, path } of entries) {
    const kind = classify(file, path);
    if (kind) dropped.push({ ...kind, text: await file.text() });
    else skipped.push(file.name);
  }
  if (!dropped.length) {
    ui.bundleStatus.textContent = `Nothing to load${skipped.length ? ` (skipped ${skipped.join(", ")})` : ""}.`;
    return;
  }
  const baseline = state.embedded.filter((s) => BASELINE_ROLES.includes(s.role) && s.name !== EXAMPLE_VOCABULARY
    && !dropped.some((d) => d.name === s.name));
  ui.bundleStatus.textContent = `Loaded ${dropped.length} file${dropped.length === 1 ? "" : "s"} over the baseline` +
    (skipped.length ? `; skipped ${skipped.join(", ")}` : "") + ".";
  state.current = null;
  setSources([...baseline, ...dropped.map((d) => ({ role: d.role, name: d.name, text: d.text }))]);
}

/** Files from a drop, walking dropped folders so their names can be seen. */
async function droppedFiles(dataTransfer) {
  // webkitGetAsEntry must be called before the first await.
  const entries = [...dataTransfer.items]
    .filter((i) => i.kind === "file")
    .map((i) => i.webkitGetAsEntry?.())
    .filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, path: file.name }));
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({ file, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  return out;
}

function wireDragAndDrop() {
  const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes("Files");
  let depth = 0;
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    ui.dropOverlay.hidden = false;
  });
  document.addEventListener("dragleave", (e) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (!depth) ui.dropOverlay.hidden = true;
  });
  document.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", async (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    ui.dropOverlay.hidden = true;
    await loadBundle(await droppedFiles(e.dataTransfer));
  });
}

// ---------------------------------------------------------------------------------------
// Requests

function selectExample(name) {
  const example = state.examples.find((x) => x.name === name);
  if (!example) return;
  ui.exampleSelect.value = name;
  ui.request.value = example.text;
  ui.request.scrollTop = 0;
  ui.allMembers.checked = name.includes("allmembers");
  renderGutter(ui.requestGutter, ui.request);
}

// ---------------------------------------------------------------------------------------
// Start

function wire() {
  ui.fileSelect.addEventListener("change", () => openFile(ui.fileSelect.value));
  ui.source.addEventListener("input", () => {
    const file = state.sources.find((s) => s.name === state.current);
    if (!file) return;
    file.text = ui.source.value;
    state.sourcesVersion++;
    renderGutter(ui.sourceGutter, ui.source);
    schedule();
  });
  ui.request.addEventListener("input", () => {
    renderGutter(ui.requestGutter, ui.request);
    schedule();
  });
  for (const [textarea, gutter] of [[ui.source, ui.sourceGutter], [ui.request, ui.requestGutter]]) {
    textarea.addEventListener("scroll", () => { gutter.scrollTop = textarea.scrollTop; });
  }
  ui.exampleSelect.addEventListener("change", () => {
    selectExample(ui.exampleSelect.value);
    run();
  });
  ui.allMembers.addEventListener("change", () => run());
  ui.bundleInput.addEventListener("change", async () => {
    const files = [...ui.bundleInput.files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
    ui.bundleInput.value = "";
    await loadBundle(files);
  });
  ui.reset.addEventListener("click", () => {
    ui.bundleStatus.textContent = "Back to the embedded example federation.";
    setSources(structuredClone(state.embedded));
  });
  wireDragAndDrop();
}

async function start() {
  await init();
  ui.version.textContent = `engine ${version()}`;
  state.embedded = JSON.parse(embeddedSources());
  const response = await fetch("./examples.json");
  if (!response.ok) throw new Error(`examples.json: HTTP ${response.status}`);
  state.examples = await response.json();
  ui.exampleSelect.replaceChildren(...state.examples.map((x) => h("option", { value: x.name }, x.name)));
  wire();
  selectExample(state.examples[0]?.name);
  setSources(structuredClone(state.embedded));
}

const ready = start().catch((e) => {
  ui.validity.className = "validity bad";
  ui.validity.textContent = `The playground could not start: ${e?.message ?? e}`;
  throw e;
});

// For tests and the curious: the state and a few hooks.
window.playground = { ready, state, run, openFile, findPolicy, loadBundle };
