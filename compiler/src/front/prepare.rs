//! Rewrites the ONNX protobuf before tract reads it, so that today's PyTorch exports (legacy and
//! dynamo, with a symbolic batch axis) load the same way a static export does.
//!
//! - Input shapes: `--input-shape` overrides replace an input's dims; a leading symbolic (or
//!   unnamed) dimension defaults to 1 and a notice says so (as TFLite's and ST's tools do). Any
//!   other unknown input dimension is an error naming the input, the axis and the symbol.
//! - Symbols are then substituted through the whole graph: inputs, outputs and `value_info`. A
//!   symbolic dim left in an output or a `value_info` (torch dynamo writes expressions such as
//!   `2*s0`) becomes an unknown dim that tract infers, instead of a second, conflicting symbol.
//! - float16 / bfloat16 models are widened to float32 ([`super::widen`]).
//! - `ConstantOfShape` without a `value` attribute gets the float32 zero the ONNX spec defines
//!   (tract 0.23.9 would load it as f64 and fail to unify it with the f32 graph).

use super::InputShapes;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use tract_onnx::pb::{self, tensor_shape_proto::dimension::Value as Dim};

/// Rewrites `proto` in place; returns the notices for the user (symbolic dimensions defaulted).
pub(super) fn prepare(proto: &mut pb::ModelProto, shapes: &InputShapes) -> Result<Vec<String>> {
    let Some(graph) = proto.graph.as_mut() else {
        return Err(Error::InvalidInput("the ONNX file holds no graph".into()));
    };
    let mut notes = bind_input_shapes(graph, shapes)?;
    fix_constant_of_shape(graph);
    notes.extend(super::widen::widen(graph));
    pass_inputs_through(graph);
    Ok(notes)
}

/// The dims of a value as written in the file (`None`: no shape at all).
fn dims_mut(v: &mut pb::ValueInfoProto) -> Option<&mut Vec<pb::tensor_shape_proto::Dimension>> {
    match v.r#type.as_mut()?.value.as_mut()? {
        pb::type_proto::Value::TensorType(t) => t.shape.as_mut().map(|s| &mut s.dim),
    }
}

fn fixed(d: &pb::tensor_shape_proto::Dimension) -> Option<i64> {
    match &d.value {
        Some(Dim::DimValue(v)) if *v >= 0 => Some(*v),
        _ => None,
    }
}

fn symbol(d: &pb::tensor_shape_proto::Dimension) -> Option<&str> {
    match &d.value {
        Some(Dim::DimParam(p)) if !p.is_empty() => Some(p),
        _ => None,
    }
}

fn shape_text(dims: &[pb::tensor_shape_proto::Dimension]) -> String {
    dims.iter()
        .map(|d| fixed(d).map(|v| v.to_string()).or_else(|| symbol(d).map(String::from)).unwrap_or("?".into()))
        .collect::<Vec<_>>()
        .join(",")
}

fn bind_input_shapes(graph: &mut pb::GraphProto, shapes: &InputShapes) -> Result<Vec<String>> {
    let inits: std::collections::HashSet<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();
    let real: Vec<usize> = (0..graph.input.len()).filter(|&i| !inits.contains(&graph.input[i].name)).collect();
    let names: Vec<String> = real.iter().map(|&i| graph.input[i].name.clone()).collect();
    let mut symbols: BTreeMap<String, i64> = BTreeMap::new();

    // 1. --input-shape: the dims given win, and bind the symbols they replace.
    let mut given = vec![false; graph.input.len()];
    for (name, dims) in shapes {
        let Some(&i) = real.iter().find(|&&i| &graph.input[i].name == name) else {
            return Err(Error::InvalidInput(format!(
                "--input-shape names input '{name}', but the model's inputs are: {}",
                names.join(", ")
            )));
        };
        given[i] = true;
        let new: Vec<pb::tensor_shape_proto::Dimension> = dims
            .iter()
            .map(|&d| pb::tensor_shape_proto::Dimension { value: Some(Dim::DimValue(d as i64)), ..Default::default() })
            .collect();
        if let Some(old) = dims_mut(&mut graph.input[i]) {
            if old.len() == new.len() {
                for (o, &d) in old.iter().zip(dims) {
                    if let Some(s) = symbol(o) {
                        if let Some(prev) = symbols.insert(s.to_string(), d as i64).filter(|&p| p != d as i64) {
                            return Err(Error::InvalidInput(format!(
                                "--input-shape gives the model's dimension '{s}' two values, {prev} and {d}"
                            )));
                        }
                    }
                }
            }
        }
        let ty = graph.input[i].r#type.get_or_insert_with(Default::default);
        let pb::type_proto::Value::TensorType(t) =
            ty.value.get_or_insert(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: pb::tensor_proto::DataType::Float as i32,
                shape: None,
            }));
        t.shape = Some(pb::TensorShapeProto { dim: new });
    }

    let user: std::collections::HashSet<String> = symbols.keys().cloned().collect();

    // 2. A leading unknown dimension of the other inputs is the batch: 1 unless a symbol says otherwise.
    let mut defaulted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &i in &real {
        if given[i] {
            continue;
        }
        let name = graph.input[i].name.clone();
        let Some(dims) = dims_mut(&mut graph.input[i]) else { continue };
        let Some(first) = dims.first_mut() else { continue };
        if fixed(first).is_some() {
            continue;
        }
        let key = symbol(first).map(String::from).unwrap_or_default();
        let value = if key.is_empty() { 1 } else { *symbols.entry(key.clone()).or_insert(1) };
        if !user.contains(&key) {
            defaulted.entry(key).or_default().push(name);
        }
        first.value = Some(Dim::DimValue(value));
    }

    // 3. Every input dimension must now be known.
    for &i in &real {
        let name = graph.input[i].name.clone();
        let Some(dims) = dims_mut(&mut graph.input[i]) else {
            return Err(Error::DynamicShape {
                input: name,
                shape: "(none)".into(),
                unknown: "(the model gives this input no shape at all)".into(),
            });
        };
        let text = shape_text(dims);
        for (axis, d) in dims.iter_mut().enumerate() {
            if fixed(d).is_some() {
                continue;
            }
            match symbol(d).and_then(|s| symbols.get(s)) {
                Some(&v) => d.value = Some(Dim::DimValue(v)),
                None => {
                    let what = symbol(d).map(|s| format!("'{s}' (axis {axis})")).unwrap_or(format!("axis {axis}"));
                    return Err(Error::DynamicShape { input: name, shape: text, unknown: what });
                }
            }
        }
    }

    // 4. The same symbols everywhere else; symbolic dims nobody bound become unknown.
    for v in graph.output.iter_mut().chain(graph.value_info.iter_mut()) {
        if let Some(dims) = dims_mut(v) {
            for d in dims.iter_mut() {
                if let Some(s) = symbol(d) {
                    d.value = symbols.get(s).map(|&v| Dim::DimValue(v));
                }
            }
        }
    }

    Ok(defaulted
        .into_iter()
        .map(|(sym, inputs)| {
            let what = if sym.is_empty() { "unnamed leading dimension".to_string() } else { format!("'{sym}'") };
            let list = inputs.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
            format!(
                "symbolic batch dimension {what} of input{} {list} set to 1 (choose another value with --input-shape {}=<d0,d1,...>)",
                if inputs.len() > 1 { "s" } else { "" },
                inputs[0]
            )
        })
        .collect())
}

/// Suffix of the tensor that carries a graph input straight to a graph output (see
/// [`pass_inputs_through`]); `lower` strips it from the output's name.
pub(super) const PASSTHROUGH_SUFFIX: &str = "::ecgc-passthrough";

/// A graph input that is also a graph output: tract 0.23.9 resets the input's type to the
/// output's (unknown) one and then cannot type the model. The output becomes an `Identity` of the
/// input under a suffixed name, which `lower` strips again.
fn pass_inputs_through(graph: &mut pb::GraphProto) {
    let inits: std::collections::HashSet<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();
    let inputs: std::collections::HashSet<String> =
        graph.input.iter().map(|i| i.name.clone()).filter(|n| !inits.contains(n)).collect();
    for o in &mut graph.output {
        if inputs.contains(&o.name) {
            let renamed = format!("{}{PASSTHROUGH_SUFFIX}", o.name);
            if !graph.node.iter().any(|n| n.output.contains(&renamed)) {
                graph.node.push(pb::NodeProto {
                    name: renamed.clone(),
                    op_type: "Identity".into(),
                    input: vec![o.name.clone()],
                    output: vec![renamed.clone()],
                    ..Default::default()
                });
            }
            o.name = renamed;
        }
    }
}

/// ONNX: `ConstantOfShape` without `value` is float32 zeros. Applies inside subgraphs too.
fn fix_constant_of_shape(graph: &mut pb::GraphProto) {
    for node in &mut graph.node {
        if node.op_type == "ConstantOfShape" && !node.attribute.iter().any(|a| a.name == "value") {
            node.attribute.push(pb::AttributeProto {
                name: "value".into(),
                r#type: pb::attribute_proto::AttributeType::Tensor as i32,
                t: Some(pb::TensorProto {
                    dims: vec![1],
                    data_type: pb::tensor_proto::DataType::Float as i32,
                    float_data: vec![0.0],
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        for a in &mut node.attribute {
            if let Some(g) = a.g.as_mut() {
                fix_constant_of_shape(g);
            }
            for g in &mut a.graphs {
                fix_constant_of_shape(g);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dim(d: &str) -> pb::tensor_shape_proto::Dimension {
        let value = match d.parse::<i64>() {
            Ok(v) => Dim::DimValue(v),
            Err(_) => Dim::DimParam(d.into()),
        };
        pb::tensor_shape_proto::Dimension { value: Some(value), ..Default::default() }
    }

    fn value(name: &str, dims: &[&str]) -> pb::ValueInfoProto {
        let t = pb::type_proto::Tensor {
            elem_type: pb::tensor_proto::DataType::Float as i32,
            shape: Some(pb::TensorShapeProto { dim: dims.iter().map(|d| dim(d)).collect() }),
        };
        pb::ValueInfoProto {
            name: name.into(),
            r#type: Some(pb::TypeProto { value: Some(pb::type_proto::Value::TensorType(t)), ..Default::default() }),
            ..Default::default()
        }
    }

    fn text(v: &mut pb::ValueInfoProto) -> String {
        shape_text(dims_mut(v).unwrap())
    }

    fn model(inputs: Vec<pb::ValueInfoProto>) -> pb::ModelProto {
        let graph = pb::GraphProto {
            input: inputs,
            output: vec![value("y", &["batch", "2*batch"])],
            value_info: vec![value("hidden", &["batch", "T", "8"])],
            ..Default::default()
        };
        pb::ModelProto { graph: Some(graph), ..Default::default() }
    }

    #[test]
    fn leading_symbol_defaults_to_one_everywhere_with_one_note() {
        let mut m = model(vec![value("x", &["batch", "3"]), value("h", &["batch", "20"])]);
        let notes = prepare(&mut m, &[]).unwrap();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("'batch'") && notes[0].contains("'x', 'h'"), "{notes:?}");
        let g = m.graph.as_mut().unwrap();
        assert_eq!(text(&mut g.input[0]), "1,3");
        assert_eq!(text(&mut g.input[1]), "1,20");
        // an expression nobody bound becomes unknown, not a second symbol
        assert_eq!(text(&mut g.output[0]), "1,?");
        assert_eq!(text(&mut g.value_info[0]), "1,?,8");
    }

    #[test]
    fn input_shape_binds_the_symbol_for_every_input_without_a_note() {
        let mut m = model(vec![value("x", &["batch", "T"]), value("h", &["batch", "20"])]);
        let notes = prepare(&mut m, &[("x".into(), vec![4, 16])]).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        let g = m.graph.as_mut().unwrap();
        assert_eq!(text(&mut g.input[1]), "4,20");
        assert_eq!(text(&mut g.value_info[0]), "4,16,8");
    }

    #[test]
    fn other_unknown_dimension_names_input_symbol_and_axis() {
        let mut m = model(vec![value("x", &["batch", "T"])]);
        let e = prepare(&mut m, &[]).unwrap_err().to_string();
        assert!(e.contains("input 'x'") && e.contains("'T' (axis 1)") && e.contains("--input-shape x="), "{e}");
    }

    #[test]
    fn an_input_without_a_shape_needs_input_shape() {
        let mut x = value("x", &[]);
        if let Some(pb::type_proto::Value::TensorType(t)) = x.r#type.as_mut().and_then(|t| t.value.as_mut()) {
            t.shape = None;
        }
        let e = prepare(&mut model(vec![x.clone()]), &[]).unwrap_err().to_string();
        assert!(e.contains("input 'x'") && e.contains("no shape"), "{e}");
        let mut m = model(vec![x]);
        prepare(&mut m, &[("x".into(), vec![1, 5])]).unwrap();
        assert_eq!(text(&mut m.graph.as_mut().unwrap().input[0]), "1,5");
    }

    #[test]
    fn a_symbol_given_two_values_is_an_error() {
        let mut m = model(vec![value("x", &["batch", "3"]), value("h", &["batch", "20"])]);
        let e = prepare(&mut m, &[("x".into(), vec![2, 3]), ("h".into(), vec![3, 20])]).unwrap_err().to_string();
        assert!(e.contains("'batch' two values"), "{e}");
    }

    #[test]
    fn constant_of_shape_without_value_gets_float32_zero() {
        let node = pb::NodeProto { op_type: "ConstantOfShape".into(), ..Default::default() };
        let mut m = model(vec![value("x", &["1", "3"])]);
        m.graph.as_mut().unwrap().node.push(node);
        prepare(&mut m, &[]).unwrap();
        let a = &m.graph.unwrap().node[0].attribute[0];
        let t = a.t.as_ref().unwrap();
        assert_eq!((a.name.as_str(), t.data_type, t.float_data.as_slice()), ("value", 1, &[0.0f32][..]));
    }
}
