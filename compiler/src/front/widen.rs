//! Half-precision models (`model.half()` exports: float16 weights, inputs, outputs and casts;
//! bfloat16 the same way) are widened to float32 in the protobuf before tract reads them, so the
//! rest of ecgc sees a float32 model and compiles it at f32 or int8 like any other.
//!
//! Why here and not in tract: tract 0.23.9 cannot type a float16 `Gemm` with a bias (its expansion
//! multiplies the bias by a float32 `beta`), and ecgc's IR computes in f32 anyway. Why it is safe:
//! every float16 and bfloat16 value is exactly a float32 value (`half`'s `to_f32` is exact), so the
//! weights are the model's weights, bit for bit; the computation then runs in f32, which is at least
//! as precise as the float16 computation the exporter described (it skips float16's rounding after
//! each op). A `Cast` to float16 inside the graph becomes a `Cast` to float32 (an identity on f32
//! data): the whole graph is one precision. A non-finite half constant widens to the same
//! non-finite f32 and is refused later by the NaN/inf weight check like a float32 one.
//!
//! Rewritten: initializers, tensor attributes (`Constant` values, `ConstantOfShape` fills), the
//! `to` of `Cast` and the `dtype` of `EyeLike`, and the element types of graph inputs, outputs and
//! `value_info`. The notice says what happened, for the compile output and the model card.

use half::{bf16, f16};
use tract_onnx::pb::{self, tensor_proto::DataType};

/// Which half types the model held, counted.
#[derive(Default)]
struct Found {
    tensors: usize,
    io: Vec<String>,
    casts: usize,
    kinds: std::collections::BTreeSet<&'static str>,
}

fn half_kind(dt: i32) -> Option<&'static str> {
    match DataType::try_from(dt).ok()? {
        DataType::Float16 => Some("float16"),
        DataType::Bfloat16 => Some("bfloat16"),
        _ => None,
    }
}

/// Widens every float16/bfloat16 part of `proto` to float32; returns the notice for the user
/// (none for a model without half types).
pub(super) fn widen(g: &mut pb::GraphProto) -> Vec<String> {
    let mut found = Found::default();
    let inits: std::collections::HashSet<String> = g.initializer.iter().map(|t| t.name.clone()).collect();
    for t in &mut g.initializer {
        widen_tensor(t, &mut found);
    }
    for node in &mut g.node {
        for a in &mut node.attribute {
            if let Some(t) = a.t.as_mut() {
                widen_tensor(t, &mut found);
            }
            for t in &mut a.tensors {
                widen_tensor(t, &mut found);
            }
            let typed = (node.op_type == "Cast" && a.name == "to") || (node.op_type == "EyeLike" && a.name == "dtype");
            if typed {
                if let Some(kind) = i32::try_from(a.i).ok().and_then(half_kind) {
                    a.i = DataType::Float as i64;
                    found.casts += 1;
                    found.kinds.insert(kind);
                }
            }
        }
    }
    for v in g.input.iter_mut().chain(g.output.iter_mut()) {
        if widen_value(v, &mut found) && !inits.contains(&v.name) {
            found.io.push(v.name.clone());
        }
    }
    for v in &mut g.value_info {
        widen_value(v, &mut found);
    }
    if found.kinds.is_empty() {
        return vec![];
    }
    let kinds = found.kinds.iter().copied().collect::<Vec<_>>().join(" and ");
    let mut parts = vec![format!("{} weight tensor(s) widened exactly to f32", found.tensors)];
    if found.casts > 0 {
        parts.push(format!("{} cast(s) to {kinds} now keep f32", found.casts));
    }
    if !found.io.is_empty() {
        let names: Vec<String> = found.io.iter().map(|n| format!("'{n}'")).collect();
        parts.push(if names.len() <= 4 {
            format!("inputs and outputs {} are f32 in the generated crate", names.join(", "))
        } else {
            format!("its {} inputs and outputs are f32 in the generated crate", names.len())
        });
    }
    vec![format!(
        "{kinds} model: the generated crate computes in f32, which is at least as precise as the {kinds} model \
         ({})",
        parts.join("; ")
    )]
}

/// Rewrites one stored tensor from a half type to float32 (exact); other types are left alone.
fn widen_tensor(t: &mut pb::TensorProto, found: &mut Found) {
    let Some(kind) = half_kind(t.data_type) else { return };
    let to_f32: fn(u16) -> f32 =
        if kind == "float16" { |b| f16::from_bits(b).to_f32() } else { |b| bf16::from_bits(b).to_f32() };
    // ONNX stores half values as little-endian raw bytes, or one per int32_data entry (the bits).
    let bits: Vec<u16> = if t.raw_data.is_empty() {
        t.int32_data.iter().map(|&v| v as u16).collect()
    } else {
        t.raw_data.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()
    };
    t.raw_data = bits.into_iter().flat_map(|b| to_f32(b).to_le_bytes()).collect();
    t.int32_data.clear();
    t.data_type = DataType::Float as i32;
    found.tensors += 1;
    found.kinds.insert(kind);
}

/// Rewrites a value's element type from a half type to float32; true if it did.
fn widen_value(v: &mut pb::ValueInfoProto, found: &mut Found) -> bool {
    let Some(pb::type_proto::Value::TensorType(t)) = v.r#type.as_mut().and_then(|t| t.value.as_mut()) else {
        return false;
    };
    let Some(kind) = half_kind(t.elem_type) else { return false };
    t.elem_type = DataType::Float as i32;
    found.kinds.insert(kind);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dt: DataType, raw: Vec<u8>, int32: Vec<i32>) -> pb::TensorProto {
        pb::TensorProto {
            dims: vec![int32.len().max(raw.len() / 2) as i64],
            data_type: dt as i32,
            raw_data: raw,
            int32_data: int32,
            ..Default::default()
        }
    }

    fn floats(t: &pb::TensorProto) -> Vec<f32> {
        t.raw_data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    }

    #[test]
    fn half_tensors_widen_exactly_from_raw_bytes_and_int32_data() {
        let vals = [0.1f32, -65504.0, 6.0e-8, 1.0 / 3.0, f32::INFINITY, f32::NAN];
        let h: Vec<f16> = vals.iter().map(|&v| f16::from_f32(v)).collect();
        let raw = h.iter().flat_map(|v| v.to_bits().to_le_bytes()).collect();
        let mut found = Found::default();
        let mut t = tensor(DataType::Float16, raw, vec![]);
        widen_tensor(&mut t, &mut found);
        let got = floats(&t);
        assert_eq!(t.data_type, DataType::Float as i32);
        for (g, w) in got.iter().zip(&h) {
            assert_eq!(g.to_bits(), w.to_f32().to_bits(), "{g} vs {w}");
        }
        assert!(got[4].is_infinite() && got[5].is_nan());
        let mut t = tensor(DataType::Bfloat16, vec![], vec![bf16::from_f32(-2.5).to_bits() as i32, 0x3f80]);
        widen_tensor(&mut t, &mut found);
        assert_eq!((floats(&t), t.int32_data.len()), (vec![-2.5, 1.0], 0));
        assert_eq!(found.tensors, 2);
    }

    #[test]
    fn casts_and_io_types_become_float_with_one_notice() {
        let f16_value = |name: &str| pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto {
                value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                    elem_type: DataType::Float16 as i32,
                    shape: None,
                })),
                ..Default::default()
            }),
            ..Default::default()
        };
        let cast = pb::NodeProto {
            op_type: "Cast".into(),
            attribute: vec![pb::AttributeProto {
                name: "to".into(),
                i: DataType::Float16 as i64,
                ..Default::default()
            }],
            ..Default::default()
        };
        let graph = pb::GraphProto {
            node: vec![cast],
            input: vec![f16_value("x")],
            output: vec![f16_value("y")],
            ..Default::default()
        };
        let mut g = graph;
        let notes = widen(&mut g);
        assert_eq!(g.node[0].attribute[0].i, DataType::Float as i64);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("float16 model: the generated crate computes in f32"), "{notes:?}");
        assert!(notes[0].contains("1 cast(s)") && notes[0].contains("'x', 'y' are f32"), "{notes:?}");
        assert!(widen(&mut pb::GraphProto::default()).is_empty());
    }
}
