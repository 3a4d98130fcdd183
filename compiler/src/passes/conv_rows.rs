//! A 2-D convolution whose kernel spans the input's whole height becomes a 1-D convolution.
//!
//! Such a kernel produces one output row, and each window reads every input row: the rows are
//! channels. This is the ConvLSTM front end of the CCfC/CLTC models (kernel 12 × 3 over
//! 12 leads × 33 STFT frames, bins as channels). Two layouts of the input are taken:
//!
//! - **NCHW in memory** (`x [N, C, H, W]` as stored): `x` viewed as `[N, C·H, W]` and the
//!   kernel as `[O, C/g·kh, kw]` are the same bytes, so this is a relabelling; any groups.
//! - **NHWC in memory, transposed to NCHW by the graph** (PyTorch code that permutes a
//!   channels-last tensor before `Conv2d`, or tract's own `to_nchw` transpose): the source buffer
//!   viewed as `[N, H, W·C]` is a 1-D signal of `H` channels in which one window of `kw` columns
//!   is one contiguous run of `kw·C` values. So the convolution is a 1-D one of kernel `kw·C`,
//!   stride `sw·C`, padding `pw·C` over the *untransposed* buffer, with the kernel permuted at
//!   compile time (`w1[o][h][j·C + c] = w[o][c][h][j]`). The transpose, a full copy of the input
//!   (200 KiB of CCfC's 12-lead STFT), is no longer computed. Groups 1, no dilation along `W`.
//!
//! Why: the 1-D convolution is the register-tiled kernel (f32 and int8) every other
//! convolution uses, and int8 has no 2-D one. The node keeps its name, so `--keep-f32`
//! patterns and the report still name it; a reshape restores the `[N, O, 1, W']` result.

use super::weight_layout::{contiguous_strides, permute};
use super::{readers_and_producers, Context, Pass};
use crate::error::Result;
use crate::ir::{Conv, DType, Graph, Node, Op, Value, ValueId, ValueKind};

/// See the module docs.
pub struct ConvRows;

impl Pass for ConvRows {
    fn name(&self) -> &'static str {
        "conv-rows"
    }

    fn run(&self, g: &mut Graph, _cx: &Context) -> Result<()> {
        let mut rewritten: Vec<(usize, Vec<Node>)> = vec![];
        let (_, producer) = readers_and_producers(g);
        for i in 0..g.nodes.len() {
            if let Some(nodes) = rewrite(g, &producer, i) {
                rewritten.push((i, nodes));
            }
        }
        // Splice the replacements in, last first so earlier indices stay valid.
        for (i, nodes) in rewritten.into_iter().rev() {
            g.nodes.splice(i..=i, nodes);
        }
        Ok(())
    }
}

/// How the conv input's elements sit in a source buffer.
#[derive(Debug, PartialEq)]
enum Layout {
    /// As its own shape says: reshape the input itself.
    Nchw,
    /// Channels innermost in this value's buffer: `[N, H, W, C]` in memory.
    Nhwc(ValueId),
}

/// The nodes replacing node `i`, if it is a full-height 2-D convolution in a layout above.
fn rewrite(g: &mut Graph, producer: &[Option<usize>], i: usize) -> Option<Vec<Node>> {
    let n = &g.nodes[i];
    let Op::Conv(c) = &n.op else { return None };
    let (x, w) = (n.inputs[0], n.inputs[1]);
    let (xs, ws, ys) = (g.value(x).shape.clone(), g.value(w).shape.clone(), g.value(n.output).shape.clone());
    if c.stride.len() != 2 || xs.len() != 4 || g.value(w).const_data().is_none() {
        return None;
    }
    let ([nb, ch, h, wd], [o, cg, kh, kw], [_, _, oh, ow]) = (arr4(&xs)?, arr4(&ws)?, arr4(&ys)?);
    // One output row whose window is exactly the input's rows.
    if kh != h || oh != 1 || c.pad_before[0] != 0 || (kh > 1 && c.dilation[0] != 1) {
        return None;
    }
    let layout = match view(g, producer, x, &xs) {
        Some((src, strides)) if is_nhwc(&strides, [ch, h, wd], nb) && src != x => Layout::Nhwc(src),
        _ => Layout::Nchw,
    };
    if let Layout::Nhwc(_) = layout {
        if c.groups != 1 || (kw > 1 && c.dilation[1] != 1) {
            return None;
        }
    }
    let (name, bias, y) = (n.name.clone(), n.inputs.get(2).copied(), n.output);
    let data = g.value(w).const_data()?.to_vec();
    let (src, rows, len, conv, kernel) = match layout {
        Layout::Nchw => {
            let conv = Conv {
                stride: vec![c.stride[1]],
                dilation: vec![c.dilation[1]],
                pad_before: vec![c.pad_before[1]],
                groups: c.groups,
            };
            (x, ch * h, wd, conv, (vec![o, cg * kh, kw], data))
        }
        Layout::Nhwc(src) => {
            let conv = Conv {
                stride: vec![c.stride[1] * ch],
                dilation: vec![1],
                pad_before: vec![c.pad_before[1] * ch],
                groups: 1,
            };
            // w[o][c][h][j] → w1[o][h][j·C + c]
            let permuted = permute(&data, &ws, &[0, 2, 3, 1]);
            (src, h, wd * ch, conv, (vec![o, h, kw * ch], permuted))
        }
    };
    let w1 = g.add_const(format!("{}.rows", g.value(w).name), kernel.0, kernel.1);
    let x1 = new_value(g, format!("{name}.as_rows"), vec![nb, rows, len]);
    let y1 = new_value(g, format!("{name}.rows"), vec![nb, o, ow]);
    let mut ins = vec![x1, w1];
    ins.extend(bias);
    Some(vec![
        Node { name: format!("{name}.as_rows"), op: Op::Reshape, inputs: vec![src], output: x1 },
        Node { name: name.clone(), op: Op::Conv(conv), inputs: ins, output: y1 },
        Node { name: format!("{name}.restore_height"), op: Op::Reshape, inputs: vec![y1], output: y },
    ])
}

fn new_value(g: &mut Graph, name: String, shape: Vec<usize>) -> ValueId {
    g.add_value(Value::new(name, shape, DType::F32, ValueKind::Computed))
}

fn arr4(s: &[usize]) -> Option<[usize; 4]> {
    s.try_into().ok()
}

/// True when strides `[N, C, H, W]` place the elements channels-innermost (`[N, H, W, C]`).
/// Strides of unit axes do not matter.
fn is_nhwc(strides: &[usize], [c, h, w]: [usize; 3], n: usize) -> bool {
    let want = [h * w * c, 1, w * c, c];
    let dims = [n, c, h, w];
    (0..4).all(|a| dims[a] == 1 || strides[a] == want[a])
}

/// Where value `v`'s elements sit: the value whose buffer holds them and, per axis of `v`, the
/// stride in that buffer. Follows transposes and reshapes that only add or drop unit axes
/// (anything else starts a new buffer).
fn view(g: &Graph, producer: &[Option<usize>], v: ValueId, shape: &[usize]) -> Option<(ValueId, Vec<usize>)> {
    let mut chain = vec![];
    let mut cur = v;
    while let Some(p) = producer[cur.index()] {
        match &g.nodes[p].op {
            Op::Transpose(_) | Op::Reshape => {
                chain.push(p);
                cur = g.nodes[p].inputs[0];
            }
            _ => break,
        }
    }
    let mut src = cur;
    let mut strides = contiguous_strides(&g.value(cur).shape);
    for &p in chain.iter().rev() {
        let (from, to) = (&g.value(g.nodes[p].inputs[0]).shape, &g.value(g.nodes[p].output).shape);
        let next = match &g.nodes[p].op {
            Op::Transpose(t) => Some(t.perm.iter().map(|&a| strides[a]).collect()),
            _ => unit_reshape(from, to, &strides),
        };
        match next {
            Some(s) => strides = s,
            None => {
                src = g.nodes[p].output;
                strides = contiguous_strides(to);
            }
        }
    }
    (strides.len() == shape.len()).then_some((src, strides))
}

/// Strides after a reshape that keeps the non-unit axes in order (unit axes get stride 0).
fn unit_reshape(from: &[usize], to: &[usize], strides: &[usize]) -> Option<Vec<usize>> {
    let kept: Vec<(usize, usize)> = from.iter().zip(strides).filter(|(&d, _)| d != 1).map(|(&d, &s)| (d, s)).collect();
    let mut it = kept.iter();
    let out: Vec<usize> = to
        .iter()
        .map(|&d| if d == 1 { Some(0) } else { it.next().filter(|k| k.0 == d).map(|k| k.1) })
        .collect::<Option<_>>()?;
    it.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_reshapes_keep_strides_and_others_stop() {
        assert_eq!(
            unit_reshape(&[1, 129, 1, 12, 33], &[1, 129, 12, 33], &[0, 1, 0, 129 * 33, 129]),
            Some(vec![0, 1, 129 * 33, 129])
        );
        assert_eq!(unit_reshape(&[2, 3], &[6], &[3, 1]), None);
        assert_eq!(unit_reshape(&[2, 3], &[3, 2], &[3, 1]), None);
    }

    #[test]
    fn nhwc_strides_are_recognised() {
        // [1, 12, 33, 129] stored, seen as [1, 129, 12, 33]
        assert!(is_nhwc(&[0, 1, 33 * 129, 129], [129, 12, 33], 1));
        assert!(!is_nhwc(&contiguous_strides(&[1, 129, 12, 33]), [129, 12, 33], 1));
    }
}
