//! Shape and type inference for every op: the single statement of what each op's output looks like.
//! The front end uses it for nodes it creates; the verifier checks every node against it.

use super::*;

/// Numpy broadcast of several shapes (aligned on the right).
pub fn broadcast(shapes: &[&[usize]]) -> Result<Vec<usize>, String> {
    let rank = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; rank];
    for s in shapes {
        for (k, &d) in s.iter().enumerate() {
            let o = &mut out[rank - s.len() + k];
            if *o == 1 {
                *o = d;
            } else if d != 1 && d != *o {
                return Err(format!("shapes {shapes:?} do not broadcast"));
            }
        }
    }
    Ok(out)
}

/// Number of elements of a shape; `None` when the product overflows.
pub fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// Output length of a windowed axis (conv or pool); 0 when the window does not fit (or for a
/// zero kernel or stride, which the front end rejects).
pub fn windowed_len(input: usize, pad: usize, after: usize, kernel: usize, dilation: usize, stride: usize) -> usize {
    let span = dilation.saturating_mul(kernel.saturating_sub(1)).saturating_add(1);
    let padded = input.saturating_add(pad).saturating_add(after);
    if padded < span || kernel == 0 || stride == 0 {
        0
    } else {
        (padded - span) / stride + 1
    }
}

fn expect_inputs(op: &Op, n: usize, got: usize) -> Result<(), String> {
    if n == got {
        Ok(())
    } else {
        Err(format!("{} takes {n} operands, got {got}", op.summary()))
    }
}

/// Checks the operands of `op` and returns the output shape and type, or what is wrong.
///
/// Ops whose output shape is a free parameter (Reshape, Slice, BroadcastTo, Conv, Pool) are
/// checked against `declared`, the output shape the node was given.
pub fn infer(op: &Op, inputs: &[(&[usize], DType)], declared: &[usize]) -> Result<(Vec<usize>, DType), String> {
    let shapes: Vec<&[usize]> = inputs.iter().map(|i| i.0).collect();
    let x = shapes.first().copied().unwrap_or(&[]);
    let x_dtype = inputs.first().map(|i| i.1).unwrap_or(DType::F32);
    if float_only(op) {
        if let Some((_, t)) = inputs.iter().find(|i| i.1.is_int()) {
            return Err(format!("{} reads a {t} operand; it computes on reals only", op.summary()));
        }
    }
    match op {
        Op::Conv(c) => {
            if !(inputs.len() == 2 || inputs.len() == 3) {
                return Err("Conv takes 2 or 3 operands".into());
            }
            let w = shapes[1];
            let sp = c.stride.len();
            if !(1..=2).contains(&sp) || x.len() != sp + 2 || w.len() != sp + 2 {
                return Err(format!("Conv shapes x{x:?} w{w:?} do not match {sp} spatial axes"));
            }
            if c.dilation.len() != sp || c.pad_before.len() != sp || c.groups == 0 {
                return Err("Conv geometry vectors disagree".into());
            }
            if !x[1].is_multiple_of(c.groups) || !w[0].is_multiple_of(c.groups) || w[1] * c.groups != x[1] {
                return Err(format!("Conv channels x{x:?} w{w:?} groups={} disagree", c.groups));
            }
            if inputs.len() == 3 && shapes[2] != [w[0]] {
                return Err(format!("Conv bias {:?} is not [{}]", shapes[2], w[0]));
            }
            if declared.len() != x.len() || declared[0] != x[0] || declared[1] != w[0] {
                return Err(format!("Conv output {declared:?} does not match x{x:?} w{w:?}"));
            }
            for a in 0..sp {
                let (o, k, s, d) = (declared[2 + a], w[2 + a], c.stride[a], c.dilation[a]);
                // Windows may lie wholly in the trailing padding (ONNX allows any `pads`; such an
                // output is the bias), so only degenerate geometry is refused here.
                if k == 0 || s == 0 || d == 0 || o == 0 {
                    return Err(format!("Conv output {declared:?} inconsistent on spatial axis {a}"));
                }
            }
            Ok((declared.to_vec(), DType::F32))
        }
        Op::EinSum(e) => {
            expect_inputs(op, 2, inputs.len())?;
            let out_rank = e.axes.iter().filter(|a| a.out.is_some()).count();
            let mut out = vec![0usize; out_rank];
            for (t, s) in shapes.iter().enumerate() {
                let mut seen = vec![false; s.len()];
                for ax in &e.axes {
                    if let Some(p) = if t == 0 { ax.a } else { ax.b } {
                        if p >= s.len() || seen[p] || s[p] != ax.size {
                            return Err(format!("EinSum axis of size {} does not fit operand {t} {s:?}", ax.size));
                        }
                        seen[p] = true;
                    }
                }
                if seen.iter().any(|x| !x) {
                    return Err(format!("EinSum leaves an axis of operand {t} {s:?} unmapped"));
                }
            }
            for ax in &e.axes {
                if let Some(p) = ax.out {
                    if p >= out_rank || out[p] != 0 {
                        return Err("EinSum output positions are not a permutation".into());
                    }
                    out[p] = ax.size;
                }
            }
            Ok((out, DType::F32))
        }
        Op::Binary(b) => {
            expect_inputs(op, 2, inputs.len())?;
            let out = broadcast(&shapes)?;
            Ok((out, if b.is_predicate() { DType::Bool } else { DType::F32 }))
        }
        Op::Unary(u) => {
            expect_inputs(op, 1, inputs.len())?;
            // Identity is a cast (e.g. bool -> f32): the node's declared type wins, see verify.
            Ok((x.to_vec(), if u.is_predicate() { DType::Bool } else { DType::F32 }))
        }
        Op::Select => {
            expect_inputs(op, 3, inputs.len())?;
            Ok((broadcast(&shapes)?, inputs[1].1))
        }
        Op::Fused(f) => infer_fused(f, inputs),
        Op::Dense(d) => {
            expect_inputs(op, 2, inputs.len())?;
            if x.last() != Some(&d.k) || shapes[1] != [d.k, d.n] {
                return Err(format!("Dense(k={}, n={}) does not fit x{x:?} w{:?}", d.k, d.n, shapes[1]));
            }
            let mut out = x.to_vec();
            if let Some(last) = out.last_mut() {
                *last = d.n;
            }
            Ok((out, DType::F32))
        }
        Op::Reduce(r) => {
            expect_inputs(op, 1, inputs.len())?;
            let mut out = x.to_vec();
            for &a in &r.axes {
                if a >= out.len() {
                    return Err(format!("Reduce axis {a} out of rank {}", out.len()));
                }
                out[a] = 1;
            }
            Ok((out, DType::F32))
        }
        Op::Softmax(Softmax { axis, .. }) | Op::RmsNorm(RmsNorm { axis, .. }) => {
            expect_inputs(op, 1, inputs.len())?;
            if *axis >= x.len() {
                return Err(format!("axis {axis} out of rank {}", x.len()));
            }
            Ok((x.to_vec(), DType::F32))
        }
        Op::Reshape => {
            expect_inputs(op, 1, inputs.len())?;
            if elements(declared) != elements(x) {
                return Err(format!("Reshape {x:?} -> {declared:?} changes the element count"));
            }
            Ok((declared.to_vec(), x_dtype))
        }
        Op::Transpose(t) => {
            expect_inputs(op, 1, inputs.len())?;
            let mut sorted = t.perm.clone();
            sorted.sort();
            if sorted != (0..x.len()).collect::<Vec<_>>() {
                return Err(format!("Transpose perm {:?} is not a permutation of rank {}", t.perm, x.len()));
            }
            Ok((t.perm.iter().map(|&p| x[p]).collect(), x_dtype))
        }
        Op::Slice(s) => {
            expect_inputs(op, 1, inputs.len())?;
            if s.start.len() != x.len() || s.step.len() != x.len() || declared.len() != x.len() {
                return Err("Slice vectors do not match the rank".into());
            }
            for a in 0..x.len() {
                let n = declared[a] as isize;
                if n == 0 {
                    continue;
                }
                let last = s.start[a] as isize + (n - 1) * s.step[a];
                if s.step[a] == 0 || s.start[a] >= x[a] || last < 0 || last >= x[a] as isize {
                    return Err(format!("Slice reads outside axis {a} of {x:?}"));
                }
            }
            Ok((declared.to_vec(), x_dtype))
        }
        Op::Concat(c) => {
            if inputs.is_empty() {
                return Err("Concat needs operands".into());
            }
            let mut out = x.to_vec();
            if c.axis >= out.len() {
                return Err("Concat axis out of rank".into());
            }
            out[c.axis] = 0;
            for s in &shapes {
                if s.len() != x.len() || (0..x.len()).any(|a| a != c.axis && s[a] != x[a]) {
                    return Err(format!("Concat operands {shapes:?} disagree off axis {}", c.axis));
                }
                out[c.axis] += s[c.axis];
            }
            Ok((out, x_dtype))
        }
        Op::Gather(g) => {
            expect_inputs(op, 1, inputs.len())?;
            if g.axis >= x.len() || g.indices.iter().any(|&i| i >= x[g.axis]) {
                return Err(format!("Gather indices out of range for {x:?} axis {}", g.axis));
            }
            let mut out = x.to_vec();
            out[g.axis] = g.indices.len();
            Ok((out, x_dtype))
        }
        Op::Pad(p) => {
            expect_inputs(op, 1, inputs.len())?;
            if p.before.len() != x.len() || p.after.len() != x.len() {
                return Err("Pad vectors do not match the rank".into());
            }
            Ok(((0..x.len()).map(|a| x[a] + p.before[a] + p.after[a]).collect(), x_dtype))
        }
        Op::BroadcastTo => {
            expect_inputs(op, 1, inputs.len())?;
            if broadcast(&[x, declared])? != declared {
                return Err(format!("{x:?} does not broadcast to {declared:?}"));
            }
            Ok((declared.to_vec(), x_dtype))
        }
        Op::Pool(p) => {
            expect_inputs(op, 1, inputs.len())?;
            let sp = p.kernel.len();
            if !(1..=2).contains(&sp) || x.len() != sp + 2 || declared.len() != x.len() || declared[..2] != x[..2] {
                return Err(format!("Pool shapes {x:?} -> {declared:?} do not match {sp} spatial axes"));
            }
            if x_dtype.is_int() && p.kind != PoolKind::Max {
                return Err(format!(
                    "{:?} pooling of {x_dtype} values (only max pooling is exact on integers)",
                    p.kind
                ));
            }
            Ok((declared.to_vec(), x_dtype))
        }
        Op::Quantize(t) => {
            expect_inputs(op, 1, inputs.len())?;
            if !t.is_int() {
                return Err(format!("Quantize to {t}"));
            }
            Ok((x.to_vec(), *t))
        }
        Op::Dequantize => {
            expect_inputs(op, 1, inputs.len())?;
            Ok((x.to_vec(), DType::F32))
        }
        Op::QConv(q) => {
            expect_inputs(op, 3, inputs.len())?;
            let types = [inputs[0].1, inputs[1].1, inputs[2].1];
            if types != [DType::I8, DType::I8, DType::I32] {
                return Err(format!("QConv operands are {types:?}, not [i8, i8, i32]"));
            }
            let f32s: Vec<(&[usize], DType)> = inputs.iter().map(|&(s, _)| (s, DType::F32)).collect();
            let (shape, _) = infer(&Op::Conv(q.conv.clone()), &f32s, declared)?;
            if shape.len() != 3 || q.requant.multiplier.len() != q.requant.shift.len() {
                return Err("QConv is one-dimensional with one shift per multiplier".into());
            }
            Ok((shape, DType::I8))
        }
        Op::QDense(d) => {
            expect_inputs(op, 3, inputs.len())?;
            let types = [inputs[0].1, inputs[1].1, inputs[2].1];
            if types != [DType::I8, DType::I8, DType::I32] || shapes[2] != [d.n] {
                return Err(format!(
                    "QDense operands are {types:?} with bias {:?}, not [i8, i8, i32 [{}]]",
                    shapes[2], d.n
                ));
            }
            let f32s: Vec<(&[usize], DType)> = inputs[..2].iter().map(|&(s, _)| (s, DType::F32)).collect();
            let (shape, _) = infer(&Op::Dense(Dense { k: d.k, n: d.n }), &f32s, declared)?;
            if d.requant.multiplier.len() != d.requant.shift.len() {
                return Err("QDense needs one shift per multiplier".into());
            }
            Ok((shape, DType::I8))
        }
    }
}

/// True for ops that compute on reals only (every operand f32 or bool).
fn float_only(op: &Op) -> bool {
    match op {
        Op::Conv(_)
        | Op::EinSum(_)
        | Op::Binary(_)
        | Op::Unary(_)
        | Op::Select
        | Op::Reduce(_)
        | Op::Softmax(_)
        | Op::RmsNorm(_)
        | Op::Fused(_)
        | Op::Dense(_)
        | Op::Quantize(_) => true,
        Op::Reshape
        | Op::Transpose(_)
        | Op::Slice(_)
        | Op::Concat(_)
        | Op::Gather(_)
        | Op::Pad(_)
        | Op::BroadcastTo
        | Op::Pool(_)
        | Op::Dequantize
        | Op::QConv(_)
        | Op::QDense(_) => false,
    }
}

/// A fused expression: arguments refer to operands or earlier steps, every operand is used, and
/// the output is the operands' broadcast shape with the last step's type.
fn infer_fused(f: &Fused, inputs: &[(&[usize], DType)]) -> Result<(Vec<usize>, DType), String> {
    if f.steps.is_empty() {
        return Err("Fused has no steps".into());
    }
    let mut used = vec![false; inputs.len()];
    let mut types: Vec<DType> = vec![];
    for (i, step) in f.steps.iter().enumerate() {
        let mut arg_types = vec![];
        for a in step.args() {
            arg_types.push(match a {
                FusedArg::Input(k) if k < inputs.len() => {
                    used[k] = true;
                    inputs[k].1
                }
                FusedArg::Step(s) if s < i => types[s],
                _ => return Err(format!("Fused step {i} reads {a:?}, which does not exist yet")),
            });
        }
        types.push(match step {
            FusedStep::Unary(u, _) if u.is_predicate() => DType::Bool,
            FusedStep::Binary(b, ..) if b.is_predicate() => DType::Bool,
            FusedStep::Select(..) => arg_types[1],
            _ => DType::F32,
        });
    }
    if let Some(k) = used.iter().position(|u| !u) {
        return Err(format!("Fused operand {k} is never read"));
    }
    let shapes: Vec<&[usize]> = inputs.iter().map(|i| i.0).collect();
    let mut shape = broadcast(&shapes)?;
    let ty = *types.last().expect("non-empty");
    if let Some(a) = f.sum_from {
        if a >= shape.len() || ty != DType::F32 {
            return Err(format!("Fused sum from axis {a} of a {ty:?} expression of shape {shape:?}"));
        }
        shape[a..].fill(1);
    }
    Ok((shape, ty))
}
