//! A host program around a generated crate, for `ecgc validate`, golden tests and benchmarks.
//! It reads every input as little-endian f32 from stdin, runs the model `reps` times (first CLI
//! argument, default 1), prints the mean nanoseconds per run to stderr and writes every output as
//! little-endian f32 to stdout.
//!
//! A streaming model's harness ([`step_main_rs`]) reads any number of steps (each step's inputs
//! concatenated), runs `step` on each from the zero state, writes each step's outputs, then the
//! final state (every state in order), and prints the mean nanoseconds per step.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `src/main.rs` of a harness for the crate `krate` (Rust identifier) with these
/// `(parameter, SCREAMING)` inputs and outputs.
pub fn main_rs(krate: &str, inputs: &[(String, String)], outputs: &[(String, String)]) -> String {
    let k = format_ident!("{}", krate);
    let mut body = TokenStream::new();
    for (p, u) in inputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote! {
            let #p: Box<[f32; #k::#len]> = take(&mut data, #k::#len).into_boxed_slice().try_into().expect("input length");
        });
    }
    for (p, u) in outputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote! {
            let mut #p: Box<[f32; #k::#len]> = vec![0.0f32; #k::#len].into_boxed_slice().try_into().expect("output length");
        });
    }
    let ins = inputs.iter().map(|(p, _)| format_ident!("{}", p));
    let outs: Vec<_> = outputs.iter().map(|(p, _)| format_ident!("{}", p)).collect();
    let file = quote! {
        use std::io::{Read, Write};

        fn take(data: &mut Vec<f32>, n: usize) -> Vec<f32> {
            assert!(data.len() >= n, "stdin holds too few f32 values");
            data.drain(..n).collect()
        }

        fn main() {
            let reps: u32 = std::env::args().nth(1).map(|s| s.parse().expect("reps")).unwrap_or(1);
            let mut bytes = vec![];
            std::io::stdin().read_to_end(&mut bytes).expect("stdin");
            let mut data: Vec<f32> = bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            #body
            assert!(data.is_empty(), "stdin holds too many f32 values");
            let mut model = Box::new(#k::Model::new());
            let start = std::time::Instant::now();
            for _ in 0..reps.max(1) {
                model.run(#(&#ins,)* #(&mut #outs),*);
            }
            eprintln!("{}", start.elapsed().as_nanos() / u128::from(reps.max(1)));
            let mut out = std::io::stdout().lock();
            #(
                for x in #outs.iter() {
                    out.write_all(&x.to_le_bytes()).expect("stdout");
                }
            )*
        }
    };
    let parsed: syn::File = syn::parse2(file).expect("harness tokens parse");
    prettyplease::unparse(&parsed)
}

/// `src/main.rs` of a harness for the streaming crate `krate` with these `(parameter,
/// SCREAMING)` inputs and outputs (state left out) and `states` state arrays.
pub fn step_main_rs(krate: &str, inputs: &[(String, String)], outputs: &[(String, String)], states: usize) -> String {
    let k = format_ident!("{}", krate);
    let mut body = TokenStream::new();
    for (p, u) in inputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote! {
            let #p: [f32; #k::#len] = take(&mut data, #k::#len).try_into().expect("input length");
        });
    }
    for (p, u) in outputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote!(let mut #p = [0.0f32; #k::#len];));
    }
    let ins: Vec<_> = inputs.iter().map(|(p, _)| format_ident!("{}", p)).collect();
    let outs: Vec<_> = outputs.iter().map(|(p, _)| format_ident!("{}", p)).collect();
    let per_step: Vec<_> = inputs.iter().map(|(_, u)| format_ident!("{}_LEN", u)).collect();
    let state_fns: Vec<_> = (0..states).map(|s| format_ident!("state_{}", s)).collect();
    let file = quote! {
        use std::io::{Read, Write};

        fn take(data: &mut std::collections::VecDeque<f32>, n: usize) -> Vec<f32> {
            data.drain(..n).collect()
        }

        fn main() {
            let mut bytes = vec![];
            std::io::stdin().read_to_end(&mut bytes).expect("stdin");
            let mut data: std::collections::VecDeque<f32> =
                bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
            let step_len = 0 #(+ #k::#per_step)*;
            assert!(step_len > 0 && data.len() % step_len == 0, "stdin is not a whole number of steps");
            let steps = data.len() / step_len;
            let mut model = Box::new(#k::Model::new());
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..steps {
                #body
                let start = std::time::Instant::now();
                model.step(#(&#ins,)* #(&mut #outs),*);
                spent += start.elapsed();
                #(
                    for x in #outs.iter() {
                        out.write_all(&x.to_le_bytes()).expect("stdout");
                    }
                )*
            }
            #(
                for x in model.#state_fns().iter() {
                    out.write_all(&x.to_le_bytes()).expect("stdout");
                }
            )*
            eprintln!("{}", spent.as_nanos() / (steps.max(1) as u128));
        }
    };
    let parsed: syn::File = syn::parse2(file).expect("harness tokens parse");
    prettyplease::unparse(&parsed)
}

/// `src/lib.rs` of a `cdylib` exposing the model to a benchmark in another language or process
/// image: `ecgc_bench_run(inputs, outputs, reps)` runs `reps` inferences on the concatenated f32
/// inputs and writes the concatenated outputs; for a `streaming` crate (inputs and outputs
/// without the state) it runs `reps` steps, and `ecgc_bench_reset()` returns it to the zero
/// state. Raw pointers make this one `unsafe` (this is benchmark tooling, not the generated
/// crate, which stays `forbid(unsafe_code)`).
pub fn bench_lib_rs(krate: &str, inputs: &[(String, String)], outputs: &[(String, String)], streaming: bool) -> String {
    let k = format_ident!("{}", krate);
    let mut body = TokenStream::new();
    for (p, u) in inputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote! {
            let #p: &[f32; #k::#len] = &*(inputs.add(at_in) as *const [f32; #k::#len]);
            at_in += #k::#len;
        });
    }
    for (p, u) in outputs {
        let (p, len) = (format_ident!("{}", p), format_ident!("{}_LEN", u));
        body.extend(quote! {
            let #p: &mut [f32; #k::#len] = &mut *(outputs.add(at_out) as *mut [f32; #k::#len]);
            at_out += #k::#len;
        });
    }
    let ins = inputs.iter().map(|(p, _)| format_ident!("{}", p));
    let outs: Vec<_> = outputs.iter().map(|(p, _)| format_ident!("{}", p)).collect();
    // a streaming crate: one `step` per rep, and a reset to the zero state
    let (call, reset) = if streaming {
        (
            quote!(step),
            quote! {
                /// Resets the streaming model to its zero state.
                #[no_mangle]
                pub extern "C" fn ecgc_bench_reset() {
                    if let Some(m) = MODEL.lock().expect("model lock").as_mut() {
                        m.reset();
                    }
                }
            },
        )
    } else {
        (quote!(run), TokenStream::new())
    };
    let file = quote! {
        static MODEL: std::sync::Mutex<Option<Box<#k::Model>>> = std::sync::Mutex::new(None);

        /// Runs the model `reps` times (a streaming model: `reps` steps).
        ///
        /// # Safety
        /// `inputs` and `outputs` must point to the concatenated inputs and outputs.
        #[no_mangle]
        pub unsafe extern "C" fn ecgc_bench_run(inputs: *const f32, outputs: *mut f32, reps: u32) {
            let mut guard = MODEL.lock().expect("model lock");
            let model = guard.get_or_insert_with(|| Box::new(#k::Model::new()));
            let mut at_in = 0usize;
            let mut at_out = 0usize;
            #body
            let _ = (at_in, at_out);
            for _ in 0..reps {
                model.#call(#(#ins,)* #(#outs),*);
            }
        }

        #reset
    };
    let parsed: syn::File = syn::parse2(file).expect("bench tokens parse");
    prettyplease::unparse(&parsed)
}
