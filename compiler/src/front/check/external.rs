//! External data: tensors whose bytes live in a file beside the model are loaded into the proto
//! (tract then reads them inline), with the file resolved relative to the model and kept inside
//! its folder; a missing or short file is named.

use super::elements;
use super::tensors::{elem_bytes, is_external};
use std::path::Path;
use tract_onnx::pb;

/// Loads tensors stored in external files (relative to the model's folder) into the proto, so
/// tract reads them inline; names a missing or short file.
pub(super) fn load_external(g: &mut pb::GraphProto, model: &Path, bad: &mut Vec<String>) {
    let dir = model.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { std::path::PathBuf::from(".") } else { dir };
    let mut tensors: Vec<&mut pb::TensorProto> = g.initializer.iter_mut().collect();
    for n in &mut g.node {
        for a in &mut n.attribute {
            if let Some(t) = a.t.as_mut() {
                tensors.push(t);
            }
        }
    }
    for t in tensors.into_iter().filter(|t| is_external(t)) {
        let get = |key: &str| t.external_data.iter().find(|e| e.key == key).map(|e| e.value.clone());
        let what = format!("tensor '{}'", t.name);
        let Some(location) = get("location") else {
            bad.push(format!("{what} is stored externally but names no file (no 'location' entry)"));
            continue;
        };
        let rel = Path::new(&location);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            bad.push(format!(
                "{what} is stored in '{location}', outside the model's folder; ecgc reads external data only from \
                 files beside the model (save with onnx.save(..., save_as_external_data=True, location=\"weights.bin\"))"
            ));
            continue;
        }
        let parse = |key: &str| -> std::result::Result<Option<u64>, String> {
            get(key)
                .map(|v| v.parse::<u64>().map_err(|_| format!("{what}: external data {key} '{v}' is not a number")))
                .transpose()
        };
        let (offset, length) = match (parse("offset"), parse("length")) {
            (Ok(o), Ok(l)) => (o.unwrap_or(0), l),
            (Err(e), _) | (_, Err(e)) => {
                bad.push(e);
                continue;
            }
        };
        let path = dir.join(rel);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                bad.push(format!(
                    "{what} is stored in the external file '{}', which cannot be read: {e} (keep the data file \
                     beside the model)",
                    path.display()
                ));
                continue;
            }
        };
        let need = elements(&t.dims).and_then(|n| n.checked_mul(elem_bytes(t.data_type).unwrap_or(1))).unwrap_or(0);
        let end = offset.checked_add(length.unwrap_or(need));
        let Some(end) = end.filter(|&e| e <= bytes.len() as u64) else {
            bad.push(format!(
                "{what} needs bytes {offset}..{} of '{}', but the file holds {} bytes",
                end.map(|e| e.to_string()).unwrap_or("2^64".into()),
                path.display(),
                bytes.len()
            ));
            continue;
        };
        t.raw_data = bytes[offset as usize..end as usize].to_vec();
        t.external_data.clear();
        t.data_location = Some(pb::tensor_proto::DataLocation::Default as i32);
    }
}
