//! A crate's files, and the profile's CheckValue step over them: the BagIt bag (RFC 8493) with
//! its sha-512 payload manifest. Files are held in memory, read from a ZIP archive here or from
//! a directory by the caller (this crate does no I/O).

use crate::CrateError;
use crate::note::{Note, Notes};
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// The metadata file's name in a crate.
pub const METADATA: &str = "ro-crate-metadata.json";

/// Limits for reading a ZIP archive (against ZIP bombs).
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    /// Most entries in the archive.
    pub entries: usize,
    /// Most bytes, uncompressed, over all entries.
    pub bytes: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        ZipLimits { entries: 10_000, bytes: 512 * 1024 * 1024 }
    }
}

/// What the crate came as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrateForm {
    /// A BagIt bag (zipped or a directory): the crate is its `data/` payload.
    Bag,
    /// A crate directory that is not a bag.
    Directory,
    /// A bare `ro-crate-metadata.json`.
    Metadata,
}

/// A crate's files by path (`/`-separated, relative to the bag or crate root).
#[derive(Debug, Clone)]
pub struct CrateFiles {
    /// The form it came in.
    pub form: CrateForm,
    /// The name of the bag's top-level directory in a ZIP archive (kept when writing back).
    pub bag_name: Option<String>,
    /// Every file.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl CrateFiles {
    /// A bare metadata file.
    pub fn metadata_only(text: &str) -> CrateFiles {
        let mut files = BTreeMap::new();
        files.insert(METADATA.to_owned(), text.as_bytes().to_vec());
        CrateFiles { form: CrateForm::Metadata, bag_name: None, files }
    }

    /// A directory's files (read by the caller): a bag if it holds `bagit.txt`.
    pub fn from_directory(files: BTreeMap<String, Vec<u8>>) -> CrateFiles {
        let form = if files.contains_key("bagit.txt") { CrateForm::Bag } else { CrateForm::Directory };
        CrateFiles { form, bag_name: None, files }
    }

    /// A BagIt ZIP archive, which must hold a single top-level directory with `bagit.txt`.
    /// Entries that escape the archive, symbolic links and archives over `limits` are refused.
    pub fn from_zip(bytes: &[u8], limits: ZipLimits) -> Result<CrateFiles, CrateError> {
        let bad = |message: String| CrateError::Zip { message };
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| bad(format!("not a readable ZIP archive: {e}")))?;
        if archive.len() > limits.entries {
            return Err(bad(format!("{} entries, more than the limit of {}", archive.len(), limits.entries)));
        }
        let mut raw: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut total: u64 = 0;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| bad(format!("entry {i}: {e}")))?;
            let name = entry.name().map_or_else(|_| format!("entry {i}"), |n| n.into_owned());
            if entry.is_symlink() {
                return Err(bad(format!("`{name}` is a symbolic link; a crate may not hold links")));
            }
            let Some(path) = entry.enclosed_name() else {
                return Err(bad(format!("`{name}` is an absolute path or escapes the archive")));
            };
            if entry.is_dir() {
                continue;
            }
            let path = path.to_string_lossy().replace('\\', "/");
            // Read at most what the limit still allows, whatever the header claims.
            let allowance = limits.bytes.saturating_sub(total);
            let mut data = Vec::new();
            (&mut entry)
                .take(allowance.saturating_add(1))
                .read_to_end(&mut data)
                .map_err(|e| bad(format!("`{name}`: {e}")))?;
            total = total.saturating_add(data.len() as u64);
            if total > limits.bytes {
                return Err(bad(format!("more than {} bytes uncompressed (a ZIP bomb?)", limits.bytes)));
            }
            raw.insert(path, data);
        }
        let tops: std::collections::BTreeSet<&str> =
            raw.keys().map(|p| p.split('/').next().unwrap_or_default()).collect();
        let top = match tops.into_iter().collect::<Vec<_>>().as_slice() {
            [one] if raw.keys().any(|p| p.contains('/')) => (*one).to_owned(),
            _ => return Err(bad("the archive must hold a single top-level directory, the bag".to_owned())),
        };
        let prefix = format!("{top}/");
        let files: BTreeMap<String, Vec<u8>> =
            raw.into_iter().filter_map(|(p, d)| p.strip_prefix(&prefix).map(|rest| (rest.to_owned(), d))).collect();
        if !files.contains_key("bagit.txt") {
            return Err(bad(format!("the top-level directory `{top}` has no `bagit.txt`: it is not a BagIt bag")));
        }
        Ok(CrateFiles { form: CrateForm::Bag, bag_name: Some(top), files })
    }

    /// The path of the metadata file.
    pub fn metadata_path(&self) -> String {
        match self.form {
            CrateForm::Bag => format!("data/{METADATA}"),
            CrateForm::Directory | CrateForm::Metadata => METADATA.to_owned(),
        }
    }

    /// The metadata file's text.
    pub fn metadata_text(&self) -> Result<&str, CrateError> {
        let path = self.metadata_path();
        let bytes = self.files.get(&path).ok_or_else(|| CrateError::NotACrate {
            file: path.clone(),
            message: "the RO-Crate metadata file is missing".to_owned(),
        })?;
        std::str::from_utf8(bytes)
            .map_err(|e| CrateError::NotACrate { file: path.clone(), message: format!("not UTF-8: {e}") })
    }

    /// The BagIt check (the profile's CheckValue step). Returns whether it passed; every
    /// problem is a note.
    pub fn check_bag(&self, notes: &mut Notes) -> bool {
        if self.form != CrateForm::Bag {
            notes.push(Note::error(
                "bagit.txt",
                "the crate is not a BagIt bag, so its content cannot be checked against a sha-512 payload manifest",
            ));
            return false;
        }
        let before = errors(notes);
        self.check_declaration(notes);
        self.check_bag_info(notes);
        match self.text("manifest-sha512.txt") {
            None => notes.push(Note::error(
                "manifest-sha512.txt",
                "the sha-512 payload manifest is missing (the profile requires it)",
            )),
            Some(text) => {
                let listed = self.check_manifest("manifest-sha512.txt", &text, notes);
                for path in self.files.keys().filter(|p| p.starts_with("data/")) {
                    if !listed.contains_key(path) {
                        notes.push(Note::error(path, "a payload file the manifest does not list"));
                    }
                }
            }
        }
        match self.text("tagmanifest-sha512.txt") {
            None => notes
                .push(Note::warning("tagmanifest-sha512.txt", "no sha-512 tag manifest (the profile recommends one)")),
            Some(text) => {
                self.check_manifest("tagmanifest-sha512.txt", &text, notes);
            }
        }
        if self.files.contains_key("fetch.txt") {
            notes.push(Note::warning(
                "fetch.txt",
                "the bag lists files to fetch; fivesafes never fetches, so only the files present are checked",
            ));
        }
        errors(notes) == before
    }

    fn text(&self, path: &str) -> Option<String> {
        self.files.get(path).map(|b| String::from_utf8_lossy(b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)).into_owned())
    }

    fn check_declaration(&self, notes: &mut Notes) {
        let Some(text) = self.text("bagit.txt") else {
            notes.push(Note::error("bagit.txt", "missing: not a BagIt bag"));
            return;
        };
        let fields = tag_fields(&text);
        match fields.get("BagIt-Version").and_then(|v| v.first()) {
            Some(v) => {
                let (major, minor) = v.split_once('.').unwrap_or((v.as_str(), "0"));
                let ok = matches!((major.trim().parse::<u32>(), minor.trim().parse::<u32>()), (Ok(m), Ok(_)) if m >= 1);
                if !ok {
                    notes.push(Note::error(
                        "bagit.txt",
                        format!("BagIt-Version `{v}`: the profile requires BagIt 1.0 or later"),
                    ));
                }
            }
            None => notes.push(Note::error("bagit.txt", "no `BagIt-Version`")),
        }
        match fields.get("Tag-File-Character-Encoding").and_then(|v| v.first()) {
            Some(enc) if enc.eq_ignore_ascii_case("UTF-8") => {}
            Some(enc) => {
                notes.push(Note::error("bagit.txt", format!("Tag-File-Character-Encoding `{enc}`: only UTF-8 is read")))
            }
            None => notes.push(Note::error("bagit.txt", "no `Tag-File-Character-Encoding`")),
        }
    }

    fn check_bag_info(&self, notes: &mut Notes) {
        let Some(text) = self.text("bag-info.txt") else {
            notes.push(Note::error("bag-info.txt", "missing; the profile requires an `External-Identifier` in it"));
            return;
        };
        let fields = tag_fields(&text);
        match fields.get("External-Identifier").and_then(|v| v.first()) {
            None => notes.push(Note::error("bag-info.txt", "no `External-Identifier` (the profile requires one)")),
            Some(id) if !is_uuid_urn(id) => {
                notes.push(Note::warning(
                    "bag-info.txt",
                    format!("External-Identifier `{id}` is not a UUID URN (`urn:uuid:...`), as the profile recommends"),
                ));
            }
            Some(_) => {}
        }
        if let Some(oxum) = fields.get("Payload-Oxum").and_then(|v| v.first()) {
            let payload: Vec<&Vec<u8>> =
                self.files.iter().filter(|(p, _)| p.starts_with("data/")).map(|(_, d)| d).collect();
            let octets: usize = payload.iter().map(|d| d.len()).sum();
            let expected = format!("{octets}.{}", payload.len());
            if oxum.trim() != expected {
                notes.push(Note::error(
                    "bag-info.txt",
                    format!("Payload-Oxum `{oxum}` but the payload is {expected} (octets.files)"),
                ));
            }
        }
    }

    /// Check every line of a manifest; returns the paths it lists.
    fn check_manifest(&self, manifest: &str, text: &str, notes: &mut Notes) -> BTreeMap<String, String> {
        let mut listed = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let Some((digest, path)) = line.split_once(char::is_whitespace) else {
                notes.push(Note::error(manifest, format!("line {}: not `checksum filepath`", n + 1)));
                continue;
            };
            let path = decode_path(path.trim_start());
            if path.starts_with('/') || path.split('/').any(|s| s == "..") {
                notes.push(Note::error(manifest, format!("line {}: `{path}` escapes the bag", n + 1)));
                continue;
            }
            match self.files.get(&path) {
                None => {
                    notes.push(Note::error(&path, format!("listed in {manifest} (line {}) but not in the bag", n + 1)))
                }
                Some(data) => {
                    let actual = sha512(data);
                    if !actual.eq_ignore_ascii_case(digest) {
                        notes.push(Note::error(
                            &path,
                            format!(
                                "sha-512 does not match {manifest} (line {}): the file was changed or damaged",
                                n + 1
                            ),
                        ));
                    }
                }
            }
            listed.insert(path, digest.to_ascii_lowercase());
        }
        listed
    }

    /// Write fresh sha-512 manifests (payload, then tag manifest over the tag files) and the
    /// Payload-Oxum, as a bag's last step after its payload changed.
    pub fn rewrite_manifests(&mut self) {
        self.files.retain(|p, _| !(p.starts_with("manifest-") || p.starts_with("tagmanifest-")));
        let payload: Vec<(String, String)> =
            self.files.iter().filter(|(p, _)| p.starts_with("data/")).map(|(p, d)| (p.clone(), sha512(d))).collect();
        let octets: usize = self.files.iter().filter(|(p, _)| p.starts_with("data/")).map(|(_, d)| d.len()).sum();
        if let Some(info) = self.text("bag-info.txt") {
            let oxum = format!("Payload-Oxum: {octets}.{}", payload.len());
            let mut lines: Vec<String> =
                info.lines().filter(|l| !l.starts_with("Payload-Oxum:")).map(str::to_owned).collect();
            lines.push(oxum);
            self.files.insert("bag-info.txt".to_owned(), format!("{}\n", lines.join("\n")).into_bytes());
        }
        self.files.insert("manifest-sha512.txt".to_owned(), manifest_text(&payload).into_bytes());
        let tags: Vec<(String, String)> =
            self.files.iter().filter(|(p, _)| !p.starts_with("data/")).map(|(p, d)| (p.clone(), sha512(d))).collect();
        self.files.insert("tagmanifest-sha512.txt".to_owned(), manifest_text(&tags).into_bytes());
    }

    /// The crate as a ZIP archive (a bag keeps its top-level directory).
    pub fn to_zip(&self) -> Result<Vec<u8>, CrateError> {
        let bad = |e: zip::result::ZipError| CrateError::Zip { message: e.to_string() };
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let top = self.bag_name.clone().unwrap_or_else(|| "crate".to_owned());
        for (path, data) in &self.files {
            writer.start_file(format!("{top}/{path}"), options).map_err(bad)?;
            std::io::Write::write_all(&mut writer, data).map_err(|e| CrateError::Zip { message: e.to_string() })?;
        }
        Ok(writer.finish().map_err(bad)?.into_inner())
    }
}

fn errors(notes: &Notes) -> usize {
    notes.iter().filter(|n| n.severity == crate::note::Severity::Error).count()
}

/// `sha-512` of bytes, lowercase hex.
pub fn sha512(data: &[u8]) -> String {
    hex::encode(Sha512::digest(data))
}

fn manifest_text(entries: &[(String, String)]) -> String {
    entries.iter().map(|(p, d)| format!("{d}  {}\n", encode_path(p))).collect()
}

/// RFC 8493 2.1.3: CR, LF and `%` in manifest paths are percent-encoded.
fn encode_path(p: &str) -> String {
    p.replace('%', "%25").replace('\n', "%0A").replace('\r', "%0D")
}

fn decode_path(p: &str) -> String {
    p.replace("%0A", "\n").replace("%0a", "\n").replace("%0D", "\r").replace("%0d", "\r").replace("%25", "%")
}

/// Tag file fields (`Label: value`, continuation lines start with whitespace).
fn tag_fields(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(label) = &last
                && let Some(v) = out.get_mut(label).and_then(|v| v.last_mut())
            {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((label, value)) = line.split_once(':') {
            let label = label.trim().to_owned();
            out.entry(label.clone()).or_default().push(value.trim().to_owned());
            last = Some(label);
        }
    }
    out
}

fn is_uuid_urn(id: &str) -> bool {
    let Some(uuid) = id.strip_prefix("urn:uuid:") else { return false };
    let groups: Vec<&str> = uuid.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_fields_fold_continuation_lines() {
        let f = tag_fields("BagIt-Version: 1.0\nSource-Organization: A\n  B\n");
        assert_eq!(f.get("Source-Organization").map(Vec::as_slice), Some(&["A B".to_owned()][..]));
    }

    #[test]
    fn manifest_paths_round_trip_their_escapes() {
        assert_eq!(decode_path(&encode_path("data/a%b\nc")), "data/a%b\nc");
    }

    #[test]
    fn uuid_urns_are_recognised() {
        assert!(is_uuid_urn("urn:uuid:9796155a-fe44-4614-89b8-71945f718ffb"));
        assert!(!is_uuid_urn("query-12389"));
        assert!(!is_uuid_urn("urn:uuid:9796155a-fe44-4614-89b8-71945f718ff"));
    }
}
