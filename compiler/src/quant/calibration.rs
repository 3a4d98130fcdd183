//! Calibration inputs: representative samples of every graph input, in NumPy format.
//!
//! The ecosystem's convention (onnxruntime's and TFLite's calibration readers take NumPy
//! arrays): a `.npz` archive with one float32 array per graph input, named after the input, of
//! shape `[S, ...input shape]` (S samples), or a `.npy` file of that shape for a single-input
//! model. An array of exactly the input's shape is one sample; for an input with a leading batch
//! axis of 1, the samples may also run along that axis (`[S, C, W]` for an input `[1, C, W]`). Every problem is a user error that
//! names the file, the input and what was expected.

use crate::error::{Error, Result};
use crate::ir::Graph;
use ndarray::ArrayD;
use ndarray_npy::{NpzReader, ReadNpyExt};
use std::fs::File;
use std::path::Path;

/// Samples of every graph input.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// Per sample, per graph input (graph order), the input's elements row-major.
    pub samples: Vec<Vec<Vec<f32>>>,
}

impl Calibration {
    /// Reads `path` (`.npz` or `.npy`) and checks it against `g`'s inputs.
    pub fn load(path: &Path, g: &Graph) -> Result<Calibration> {
        let shown = path.display();
        let bad = |what: String| Error::InvalidInput(format!("calibration file '{shown}': {what}"));
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let file = || File::open(path).map_err(Error::io(format!("reading calibration file '{shown}'")));
        let inputs: Vec<(String, Vec<usize>)> =
            g.inputs.iter().map(|&i| (g.value(i).name.clone(), g.value(i).shape.clone())).collect();
        let arrays: Vec<ArrayD<f32>> = match ext {
            "npy" => {
                if inputs.len() != 1 {
                    let names: Vec<&str> = inputs.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(bad(format!(
                        "a .npy file holds one array, but the model has {} inputs ({}); give a .npz with one array per input",
                        inputs.len(),
                        names.join(", ")
                    )));
                }
                vec![ArrayD::<f32>::read_npy(file()?).map_err(|e| bad(format!("not a float32 .npy array: {e}")))?]
            }
            "npz" => {
                let mut npz = NpzReader::new(file()?).map_err(|e| bad(format!("not a .npz archive: {e}")))?;
                let names = npz.names().map_err(|e| bad(format!("unreadable .npz archive: {e}")))?;
                let mut out = vec![];
                for (name, _) in &inputs {
                    // numpy.savez stores `name` as `name.npy`
                    let Some(entry) = names.iter().find(|n| n.strip_suffix(".npy").unwrap_or(n) == name) else {
                        return Err(bad(format!(
                            "no array named '{name}' (the model's input); the archive has: {}",
                            names.join(", ")
                        )));
                    };
                    out.push(npz.by_name(entry).map_err(|e| bad(format!("array '{name}' is not float32: {e}")))?);
                }
                out
            }
            _ => return Err(bad("expected a .npz or .npy file".into())),
        };
        let mut count = None;
        for ((name, shape), a) in inputs.iter().zip(&arrays) {
            let s = if a.shape() == shape.as_slice() {
                1
            } else if (a.ndim() == shape.len() + 1 && &a.shape()[1..] == shape.as_slice())
                // or the samples run along the model's batch axis of 1
                || (shape.first() == Some(&1) && a.ndim() == shape.len() && a.shape()[1..] == shape[1..])
            {
                a.shape()[0]
            } else {
                return Err(bad(format!(
                    "array '{name}' has shape {:?}; expected [samples, {}] (the input's shape {shape:?} after a sample axis)",
                    a.shape(),
                    shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                )));
            };
            if *count.get_or_insert(s) != s {
                return Err(bad(format!("array '{name}' has {s} samples, another input has {}", count.unwrap_or(0))));
            }
            if let Some(x) = a.iter().find(|x| !x.is_finite()) {
                return Err(bad(format!("array '{name}' holds {x}")));
            }
        }
        let count = count.unwrap_or(0);
        if count == 0 {
            return Err(bad("no samples".into()));
        }
        let samples = (0..count)
            .map(|s| {
                arrays
                    .iter()
                    .zip(&inputs)
                    .map(|(a, (_, shape))| {
                        let n: usize = shape.iter().product();
                        a.iter().skip(s * n).take(n).copied().collect()
                    })
                    .collect()
            })
            .collect();
        Ok(Calibration { samples })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, Value, ValueKind};
    use ndarray::{Array, IxDyn};
    use ndarray_npy::{NpzWriter, WriteNpyExt};

    fn graph(inputs: &[(&str, Vec<usize>)]) -> Graph {
        let mut g = Graph::default();
        for (k, (name, shape)) in inputs.iter().enumerate() {
            let v = g.add_value(Value::new(*name, shape.clone(), DType::F32, ValueKind::Input(k)));
            g.inputs.push(v);
        }
        g
    }

    fn array(shape: &[usize]) -> ArrayD<f32> {
        let n: usize = shape.iter().product();
        Array::from_shape_vec(IxDyn(shape), (0..n).map(|x| x as f32).collect()).expect("shape")
    }

    #[test]
    fn npz_arrays_are_matched_by_input_name_and_split_into_samples() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cal.npz");
        let mut w = NpzWriter::new(File::create(&path).expect("create"));
        w.add_array("h", &array(&[3, 2])).expect("h");
        w.add_array("x", &array(&[3, 1, 4])).expect("x");
        w.finish().expect("finish");
        let g = graph(&[("x", vec![1, 4]), ("h", vec![2])]);
        let c = Calibration::load(&path, &g).expect("loads");
        assert_eq!(c.samples.len(), 3);
        assert_eq!(c.samples[1], vec![vec![4.0, 5.0, 6.0, 7.0], vec![2.0, 3.0]]);
    }

    #[test]
    fn mistakes_name_the_input_and_the_expected_shape() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cal.npy");
        array(&[5, 3]).write_npy(File::create(&path).expect("create")).expect("write");
        let g = graph(&[("x", vec![1, 4])]);
        let e = Calibration::load(&path, &g).expect_err("wrong shape").to_string();
        assert!(e.contains("'x' has shape [5, 3]; expected [samples, 1, 4]"), "{e}");
        let g2 = graph(&[("x", vec![3]), ("h", vec![3])]);
        let e = Calibration::load(&path, &g2).expect_err("two inputs").to_string();
        assert!(e.contains("give a .npz"), "{e}");
        let ok = Calibration::load(&path, &graph(&[("x", vec![3])])).expect("five samples of [3]");
        assert_eq!(ok.samples.len(), 5);
        let batch = Calibration::load(&path, &graph(&[("x", vec![1, 3])])).expect("samples along the batch axis");
        assert_eq!(batch.samples[4], vec![vec![12.0, 13.0, 14.0]]);
        let e = Calibration::load(&dir.path().join("cal.csv"), &g).expect_err("extension").to_string();
        assert!(e.contains(".npz or .npy"), "{e}");
    }
}
