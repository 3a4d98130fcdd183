//! ONNX LSTM and GRU with `layout = 1` (batch first: `X [B, T, I]`, states `[B, D, H]`),
//! `tests/data/rnn_layout1/` (made by its `make.py`). onnxruntime refuses layout 1, so these are
//! not golden cases (whose cross-check needs onnxruntime); tract runs them. ecgc's rewrite of the
//! node into its cell (`front/rnn.rs`), run by the IR interpreter on the graph as lowered and after
//! the whole pass pipeline, must equal tract's decluttered plan on the original node within the
//! golden tolerance (1e-5 scaled), on seeded inputs and initial states in [-1, 1); the layout-0
//! forms are golden cases.

use ecgc::front::reference::{Plan, Reference};
use ecgc::passes::{self, PassOptions};
use ecgc::validate::{compare, seeded_inputs};
use ecgc::{front, reference};
use std::path::Path;

#[test]
fn batch_first_lstm_and_gru_match_tract() {
    for op in ["lstm", "gru"] {
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rnn_layout1").join(format!("{op}.onnx"));
        let tract = Reference::load(&model, &[], Plan::Decluttered).expect("tract loads");
        let xs = seeded_inputs(&tract.input_shapes, 11);
        let want = tract.run(&xs).expect("tract runs");
        let refs: Vec<&[f32]> = xs.iter().map(Vec::as_slice).collect();
        let mut g = front::import(&model, &[]).expect("ecgc imports");
        let lowered = reference::run(&g, &refs).expect("interpreter, lowered graph");
        let host = ecgc::target::Target::load("host").expect("host target");
        passes::run(&mut g, &PassOptions::default(), &passes::Context::f32(&host)).expect("passes");
        let after = reference::run(&g, &refs).expect("interpreter, after passes");
        for (stage, got) in [("lowered", &lowered), ("after passes", &after)] {
            let c = compare(got, &want);
            println!("{op} layout 1 ({stage}): max scaled error {:.2e}", c.max_scaled);
            assert!(c.max_scaled <= 1e-5, "{op} layout 1 ({stage}): {:.3e} at {:?}", c.max_scaled, c.worst);
        }
    }
}
