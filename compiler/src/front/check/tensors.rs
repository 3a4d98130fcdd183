//! Stored tensors (initializers, `Constant` values): data type, dims, size, and a data count that
//! matches the dims, named by tensor.

use super::{elements, size_problem};
use tract_onnx::pb::{self, tensor_proto::DataType};

/// Bytes per element of an ONNX data type; `None` for undefined, unknown or string types.
pub(super) fn elem_bytes(dt: i32) -> Option<u64> {
    Some(match DataType::try_from(dt).ok()? {
        DataType::Float | DataType::Int32 | DataType::Uint32 => 4,
        DataType::Uint8 | DataType::Int8 | DataType::Bool => 1,
        DataType::Uint16 | DataType::Int16 | DataType::Float16 | DataType::Bfloat16 => 2,
        DataType::Int64 | DataType::Uint64 | DataType::Double | DataType::Complex64 => 8,
        DataType::Complex128 => 16,
        _ => return None,
    })
}

pub(super) fn type_name(dt: i32) -> String {
    DataType::try_from(dt).map(|d| d.as_str_name().to_lowercase()).unwrap_or_else(|_| format!("unknown type {dt}"))
}

/// The integer values of a stored tensor (int64 or int32), if it holds them inline.
pub(super) fn int_values(t: &pb::TensorProto) -> Option<Vec<i64>> {
    match DataType::try_from(t.data_type).ok()? {
        DataType::Int64 if !t.raw_data.is_empty() => {
            Some(t.raw_data.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect())
        }
        DataType::Int64 => Some(t.int64_data.clone()),
        DataType::Int32 if !t.raw_data.is_empty() => Some(
            t.raw_data.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as i64).collect(),
        ),
        DataType::Int32 => Some(t.int32_data.iter().map(|&v| v as i64).collect()),
        _ => None,
    }
}

/// How many elements a stored tensor actually holds, or what is wrong with its data.
pub(super) fn stored_elements(t: &pb::TensorProto) -> std::result::Result<u64, String> {
    let dt = DataType::try_from(t.data_type).map_err(|_| format!("has the unknown data type {}", t.data_type))?;
    if dt == DataType::Undefined {
        return Err("has no data type".into());
    }
    if !t.raw_data.is_empty() {
        let Some(size) = elem_bytes(t.data_type) else {
            return Err(format!("stores {} values as raw bytes, which ONNX does not allow", type_name(t.data_type)));
        };
        let len = t.raw_data.len() as u64;
        if !len.is_multiple_of(size) {
            return Err(format!("holds {len} raw bytes, not a whole number of {size}-byte {} values", dt_name(dt)));
        }
        return Ok(len / size);
    }
    Ok(match dt {
        DataType::Float | DataType::Complex64 => t.float_data.len(),
        DataType::Double | DataType::Complex128 => t.double_data.len(),
        DataType::Int64 => t.int64_data.len(),
        DataType::Uint32 | DataType::Uint64 => t.uint64_data.len(),
        DataType::String => t.string_data.len(),
        _ => t.int32_data.len(),
    } as u64)
}

pub(super) fn dt_name(dt: DataType) -> String {
    dt.as_str_name().to_lowercase()
}

pub(super) fn is_external(t: &pb::TensorProto) -> bool {
    t.data_location == Some(pb::tensor_proto::DataLocation::External as i32)
}

/// Checks one stored tensor (initializer or Constant value): data type, dims, size, data count.
pub(super) fn check_tensor(what: &str, t: &pb::TensorProto, bad: &mut Vec<String>) {
    if t.data_type == DataType::String as i32 {
        bad.push(format!("{what} holds strings; ecgc compiles models that compute on numbers"));
        return;
    }
    if let Some(d) = t.dims.iter().find(|&&d| d < 0) {
        bad.push(format!("{what} has the negative dimension {d} (dims {:?})", t.dims));
        return;
    }
    let elem = elem_bytes(t.data_type).unwrap_or(1);
    if let Some(p) = size_problem(what, &t.dims, elem) {
        bad.push(p);
        return;
    }
    if is_external(t) {
        return; // checked when loaded
    }
    let want = elements(&t.dims).unwrap_or(0);
    match stored_elements(t) {
        Err(e) => bad.push(format!("{what} {e}")),
        Ok(0) if want > 0 => {
            bad.push(format!("{what} has dims {:?} ({want} values) but holds no data", t.dims));
        }
        Ok(got) if got != want => bad.push(format!(
            "{what} has dims {:?}, which need {want} {} values, but holds {got}",
            t.dims,
            type_name(t.data_type)
        )),
        Ok(_) => {}
    }
}
