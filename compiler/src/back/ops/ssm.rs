//! Recognising an S4D step in a fused group and emitting one `ecgc_kernels::ssm` call for it.
//!
//! An exported diagonal complex S4D layer step becomes a group of three fused nodes over
//! `[…, C, M]` (`back/groups.rs`): the next real state, the next imaginary state, and
//! `Σ_m Re(C·x')` with a sum over the last axis. On an Arm core with an FPU (`back/tuning.rs`)
//! the group is one call of `ssm::step_vfp` (`ssm::step_in_place_vfp` when the state is updated
//! in place), which loads four modes of each operand with one `vldm`: 10 instructions per mode on
//! the Cortex-M7 where the generated loop nest takes ~25.
//!
//! The match is symbolic: each member's expression tree must equal
//!
//! ```text
//! xr' = (ar · xr − ai · xi) + u        xi' = ar · xi + ai · xr        y = Σ_m (cr · xr' − ci · xi')
//! ```
//!
//! up to the order of the operands of `+` and `·` (IEEE-754 addition and multiplication are
//! commutative, bit for bit; nothing is reassociated), so the kernel, which evaluates exactly
//! this, gives the group's bits. The shapes must be the kernel's: `ar, ai, cr, ci, xr, xi` and
//! the two states the whole iteration shape, `u` and `y` one value per channel. Anything else
//! keeps the loop nest.

use super::fused::{iteration_shape, Member, Source};
use crate::back::tuning::Tuning;
use crate::ir::{BinaryOp, FusedArg, FusedStep, Graph, ValueId};
use crate::plan::Plan;
use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

/// A pattern over a member's expression: an operation or a named operand.
enum Pat {
    /// A binary operation; `+` and `·` match their operands either way round.
    Op(BinaryOp, Box<Pat>, Box<Pat>),
    /// An operand, bound by name (the same name must bind the same operand everywhere).
    Var(&'static str),
}

fn op(b: BinaryOp, x: Pat, y: Pat) -> Pat {
    Pat::Op(b, Box::new(x), Box::new(y))
}

fn mul(x: &'static str, y: &'static str) -> Pat {
    op(BinaryOp::Mul, Pat::Var(x), Pat::Var(y))
}

/// The three members' patterns, in group order.
fn patterns() -> [Pat; 3] {
    [
        op(BinaryOp::Add, op(BinaryOp::Sub, mul("ar", "xr"), mul("ai", "xi")), Pat::Var("u")),
        op(BinaryOp::Add, mul("ar", "xi"), mul("ai", "xr")),
        op(BinaryOp::Sub, mul("cr", "nr"), mul("ci", "ni")),
    ]
}

/// Names bound so far.
type Binding = Vec<(&'static str, Source)>;

/// Where a step argument of member `m` leads: an operand's source or an earlier step.
#[derive(Clone)]
enum Node {
    Leaf(Source),
    Step(usize),
}

fn node(m: &Member, a: FusedArg) -> Option<Node> {
    match a {
        FusedArg::Input(k) => m.args.get(k).copied().map(Node::Leaf),
        FusedArg::Step(j) => Some(Node::Step(j)),
    }
}

/// Every extension of `b` under which step `n` of member `m` equals `p`.
fn matches(m: &Member, n: Node, p: &Pat, b: Binding) -> Vec<Binding> {
    match (p, n) {
        (Pat::Var(name), Node::Leaf(src)) => match b.iter().find(|(k, _)| k == name) {
            Some(&(_, s)) if s == src => vec![b],
            Some(_) => vec![],
            None => {
                let mut b = b;
                b.push((name, src));
                vec![b]
            }
        },
        (Pat::Op(want, px, py), Node::Step(j)) => {
            let Some(&FusedStep::Binary(got, x, y)) = m.f.steps.get(j) else { return vec![] };
            if got != *want {
                return vec![];
            }
            let commutes = matches!(want, BinaryOp::Add | BinaryOp::Mul);
            let orders: &[(FusedArg, FusedArg)] = if commutes { &[(x, y), (y, x)] } else { &[(x, y)] };
            let mut out = vec![];
            for &(x, y) in orders {
                let (Some(nx), Some(ny)) = (node(m, x), node(m, y)) else { continue };
                for bx in matches(m, nx, px, b.clone()) {
                    out.extend(matches(m, ny.clone(), py, bx));
                }
            }
            out
        }
        _ => vec![],
    }
}

/// An S4D step the kernel computes: which group operand is which, and the geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Operands `ar, ai, cr, ci` (one value per mode).
    pub coef: [usize; 4],
    /// Operands `xr, xi` (the state) and `u` (one value per channel).
    pub xr: usize,
    pub xi: usize,
    pub u: usize,
    /// Channels (the product of the leading axes) and modes per channel (the last axis).
    pub channels: usize,
    pub modes: usize,
    /// Whether the state is updated in place (members 0 and 1 write over `xr` and `xi`).
    pub in_place: bool,
    /// The four coefficients as constants, interleaved into one static for
    /// `ecgc_kernels::ssm_packed` ([`pack`]; set by [`group_step`]): one `vldm` where four
    /// would be, 9.25 instructions per mode instead of 10.
    pub packed: Option<[ValueId; 4]>,
}

/// The group's S4D step, or `None` when the group is not one the kernel computes bit for bit
/// (or the core has no FPU: there the loop nest stays).
pub fn recognise(
    members: &[Member],
    operands: &[Vec<usize>],
    in_place: &[(usize, usize)],
    tuning: Tuning,
) -> Option<Step> {
    if !tuning.arm_fpu || members.len() != 3 {
        return None;
    }
    let shape_of = |a: Source| match a {
        Source::Operand(j) => operands.get(j).cloned().unwrap_or_default(),
        Source::Member(m) => members.get(m).map(|x| x.out_shape.clone()).unwrap_or_default(),
    };
    let over = iteration_shape(&members[2], &shape_of);
    let (&modes, lead) = over.split_last()?;
    if members[0].f.sum_from.is_some() || members[1].f.sum_from.is_some() || members[2].f.sum_from != Some(lead.len()) {
        return None;
    }
    // every binding of the three trees, then the first one whose shapes and state fit
    let [p0, p1, p2] = patterns();
    let root = |m: &Member| m.f.steps.len().checked_sub(1).map(Node::Step);
    let mut found = vec![];
    for b0 in matches(&members[0], root(&members[0])?, &p0, vec![]) {
        for b1 in matches(&members[1], root(&members[1])?, &p1, b0) {
            found.extend(matches(&members[2], root(&members[2])?, &p2, b1));
        }
    }
    // a shape as the loop sees it: padded with leading 1s to the iteration rank
    let padded = |s: &[usize]| -> Option<Vec<usize>> {
        let pad = over.len().checked_sub(s.len())?;
        Some(std::iter::repeat_n(1, pad).chain(s.iter().copied()).collect())
    };
    let per_channel: Vec<usize> = lead.iter().copied().chain([1]).collect();
    let full = |s: &[usize]| padded(s).as_ref() == Some(&over);
    let one_per_channel = |s: &[usize]| padded(s).as_ref() == Some(&per_channel);
    if !(full(&members[0].out_shape) && full(&members[1].out_shape) && one_per_channel(&members[2].out_shape)) {
        return None;
    }
    for b in found {
        let get = |n: &str| b.iter().find(|(k, _)| *k == n).map(|&(_, s)| s);
        let operand = |n: &str| match get(n) {
            Some(Source::Operand(k)) => Some(k),
            _ => None,
        };
        if get("nr") != Some(Source::Member(0)) || get("ni") != Some(Source::Member(1)) {
            continue;
        }
        let Some([ar, ai, xr, xi, u, cr, ci]) = ["ar", "ai", "xr", "xi", "u", "cr", "ci"]
            .iter()
            .map(|n| operand(n))
            .collect::<Option<Vec<usize>>>()
            .and_then(|v| <[usize; 7]>::try_from(v).ok())
        else {
            continue;
        };
        let coef = [ar, ai, cr, ci];
        let shapes_fit = coef.iter().chain([&xr, &xi]).all(|&k| full(&operands[k])) && one_per_channel(&operands[u]);
        // every operand is one of the seven (the call reads them all, and nothing else)
        let all_used = (0..operands.len()).all(|k| coef.contains(&k) || [xr, xi, u].contains(&k));
        let state_in_place = in_place.len() == 2 && in_place.contains(&(xr, 0)) && in_place.contains(&(xi, 1));
        let reads_state = |k: usize| in_place.iter().any(|&(s, _)| s == k);
        if !shapes_fit
            || !all_used
            || !(in_place.is_empty() || state_in_place)
            || coef.iter().chain([&u]).any(|&k| reads_state(k))
        {
            continue;
        }
        let channels = lead.iter().product();
        return Some(Step { coef, xr, xi, u, channels, modes, in_place: state_in_place, packed: None });
    }
    None
}

/// The S4D step of `group` (node indices of `g` under `plan`) as the back end will emit it, if
/// it is one, with [`Step::packed`] set when its four coefficients are `f32` constants: the
/// back end's call and the report's cost model both come from this.
pub fn group_step(g: &Graph, plan: &Plan, group: &[usize], tuning: Tuning) -> Option<Step> {
    let (members, operands) = crate::back::groups::members(g, group);
    if members.len() != group.len() {
        return None;
    }
    let in_place = crate::back::groups::in_place_pairs(g, plan, group, &operands);
    let shapes: Vec<Vec<usize>> = operands.iter().map(|&v| g.value(v).shape.clone()).collect();
    let mut s = recognise(&members, &shapes, &in_place, tuning)?;
    let values = s.coef.map(|k| operands[k]);
    s.packed = values.iter().all(|&v| g.value(v).const_data().is_some()).then_some(values);
    Some(s)
}

/// The coefficients `[ar, ai, cr, ci]` (each `channels` rows of `modes`) in
/// `ecgc_kernels::ssm_packed`'s layout: per channel, per block of four modes the block's `ar`,
/// `ai`, `cr`, `ci` (four each), then `[ar, ai, cr, ci]` of each remaining mode; `4 · modes`
/// floats per channel, the static's type `[[[f32; 4]; modes]; channels]`.
pub fn pack(coef: [&[f32]; 4], channels: usize, modes: usize) -> Vec<f32> {
    let whole = 4 * (modes / 4);
    let mut out = Vec::with_capacity(4 * channels * modes);
    for c in 0..channels {
        let row = c * modes;
        for b in (0..whole).step_by(4) {
            for table in coef {
                out.extend_from_slice(&table[row + b..row + b + 4]);
            }
        }
        for m in whole..modes {
            out.extend(coef.map(|table| table[row + m]));
        }
    }
    out
}

/// The step's kernel call: outputs `outs`, operands `i0, …` (the coefficients from `coef`, the
/// packed static, when [`Step::packed`]).
pub fn emit(s: &Step, outs: &[Ident], coef: Option<&Ident>) -> Option<TokenStream> {
    let [o0, o1, o2] = [outs.first()?, outs.get(1)?, outs.get(2)?];
    let i = |k: usize| format_ident!("i{}", k);
    let m = Literal::usize_unsuffixed(s.modes);
    let (xr, xi, u) = (i(s.xr), i(s.xi), i(s.u));
    let ([ar, ai, cr, ci], kernel) =
        (s.coef.map(i), format_ident!("{}", if coef.is_some() { "ssm_packed" } else { "ssm" }));
    let coef = match coef {
        Some(q) => quote!(&#q),
        None => quote!([#ar, #ai, #cr, #ci]),
    };
    Some(if s.in_place {
        quote!(k::#kernel::step_in_place_vfp::<#m>(#coef, #o0, #o1, #u, #o2);)
    } else {
        quote!(k::#kernel::step_vfp::<#m>(#coef, #xr, #xi, #u, #o0, #o1, #o2);)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Fused;
    use BinaryOp::{Add, Mul, Sub};
    use FusedArg::{Input as I, Step as S};

    fn member(
        steps: Vec<FusedStep>,
        args: Vec<Source>,
        out_shape: Vec<usize>,
        sum_from: Option<usize>,
    ) -> Member<'static> {
        let f = Box::leak(Box::new(Fused { steps, sum_from }));
        Member { f, args, out_shape }
    }

    /// The group as the compiler fuses an exported S4D step (seen in the zoo's s4d-ecg), with
    /// operands ar 0, xr 1, ai 2, xi 3, u 4, cr 5, ci 6.
    fn group(swap: bool) -> Vec<Member<'static>> {
        let b = |o, x, y| FusedStep::Binary(o, x, y);
        let m0 = vec![b(Mul, I(0), I(1)), b(Mul, I(2), I(3)), b(Sub, S(0), S(1)), b(Add, S(2), I(4))];
        // member 1 written the other way round when `swap`: xi·ar + xr·ai
        let m1 = if swap {
            vec![b(Mul, I(1), I(0)), b(Mul, I(3), I(2)), b(Add, S(1), S(0))]
        } else {
            vec![b(Mul, I(0), I(1)), b(Mul, I(2), I(3)), b(Add, S(0), S(1))]
        };
        let m2 = vec![b(Mul, I(0), I(1)), b(Mul, I(2), I(3)), b(Sub, S(0), S(1))];
        let o = Source::Operand;
        vec![
            member(m0, vec![o(0), o(1), o(2), o(3), o(4)], vec![1, 4, 8], None),
            member(m1, vec![o(0), o(3), o(2), o(1)], vec![1, 4, 8], None),
            member(m2, vec![o(5), Source::Member(0), o(6), Source::Member(1)], vec![1, 4, 1], Some(2)),
        ]
    }

    fn operands() -> Vec<Vec<usize>> {
        let f = vec![1, 4, 8];
        vec![f.clone(), f.clone(), f.clone(), f.clone(), vec![1, 4, 1], f.clone(), f]
    }

    fn outs() -> Vec<Ident> {
        (0..3usize).map(|m| format_ident!("out{}", m)).collect()
    }

    /// The group with step `step` of member `m` replaced by `by`.
    fn changed(m: usize, step: usize, by: FusedStep) -> Vec<Member<'static>> {
        let mut g = group(false);
        let mut f = g[m].f.clone();
        f.steps[step] = by;
        g[m].f = Box::leak(Box::new(f));
        g
    }

    const FPU: Tuning = Tuning { size: false, arm_fpu: true };

    /// The kernel call for the group, if it is recognised (unpacked coefficients).
    fn kernel_call(
        members: &[Member],
        operands: &[Vec<usize>],
        in_place: &[(usize, usize)],
        tuning: Tuning,
    ) -> Option<String> {
        let s = recognise(members, operands, in_place, tuning)?;
        emit(&s, &outs(), None).map(|t| t.to_string())
    }

    #[test]
    fn constant_coefficients_are_read_from_one_packed_static() {
        let s = recognise(&group(false), &operands(), &[(1, 0), (3, 1)], FPU).expect("matched");
        let call = emit(&s, &outs(), Some(&format_ident!("W_Q"))).expect("call").to_string();
        assert_eq!(call, "k :: ssm_packed :: step_in_place_vfp :: < 8 > (& W_Q , out0 , out1 , i4 , out2) ;");
        let s = recognise(&group(false), &operands(), &[], FPU).expect("matched");
        let call = emit(&s, &outs(), Some(&format_ident!("W_Q"))).expect("call").to_string();
        assert_eq!(call, "k :: ssm_packed :: step_vfp :: < 8 > (& W_Q , i1 , i3 , i4 , out0 , out1 , out2) ;");
    }

    #[test]
    fn pack_interleaves_blocks_of_four_then_quads_the_rest() {
        // 2 channels of 5 modes; table t holds 100·t + 10·channel + mode
        let tables: Vec<Vec<f32>> =
            (0..4).map(|t| (0..2).flat_map(|c| (0..5).map(move |m| (100 * t + 10 * c + m) as f32)).collect()).collect();
        let q = pack([&tables[0], &tables[1], &tables[2], &tables[3]], 2, 5);
        let row = |c: f32| -> Vec<f32> {
            let block = (0..4).flat_map(|t| (0..4).map(move |m| 100.0 * t as f32 + 10.0 * c + m as f32));
            block.chain((0..4).map(|t| 100.0 * t as f32 + 10.0 * c + 4.0)).collect()
        };
        assert_eq!(q, [row(0.0), row(1.0)].concat());
    }

    #[test]
    fn an_s4d_step_group_becomes_one_kernel_call() {
        for swap in [false, true] {
            let call = kernel_call(&group(swap), &operands(), &[(1, 0), (3, 1)], FPU).expect("matched");
            assert_eq!(
                call,
                "k :: ssm :: step_in_place_vfp :: < 8 > ([i0 , i2 , i5 , i6] , out0 , out1 , i4 , out2) ;"
            );
            let call = kernel_call(&group(swap), &operands(), &[], FPU).expect("matched");
            assert!(call.starts_with("k :: ssm :: step_vfp :: < 8 > ([i0 , i2 , i5 , i6] , i1 , i3 , i4 ,"), "{call}");
        }
    }

    #[test]
    fn anything_else_keeps_the_loop_nest() {
        let ops = operands();
        // no FPU
        assert!(kernel_call(&group(false), &ops, &[], Tuning::default()).is_none());
        // the sign of the imaginary part's sum flipped: ar·xi − ai·xr
        let g = changed(1, 2, FusedStep::Binary(Sub, S(0), S(1)));
        assert!(kernel_call(&g, &ops, &[], FPU).is_none());
        // the output's subtraction swapped: ci·xi' − cr·xr'
        let g = changed(2, 2, FusedStep::Binary(Sub, S(1), S(0)));
        assert!(kernel_call(&g, &ops, &[], FPU).is_none());
        // the input subtracted rather than added: (ar·xr − ai·xi) − u
        let g = changed(0, 3, FusedStep::Binary(Sub, S(2), I(4)));
        assert!(kernel_call(&g, &ops, &[], FPU).is_none());
        // (ai·xi − ar·xr) + u is the same step with real and imaginary parts relabelled, so it
        // matches out of place, but not with the state in place (the labels no longer fit)
        let g = changed(0, 2, FusedStep::Binary(Sub, S(1), S(0)));
        assert!(kernel_call(&g, &ops, &[(1, 0), (3, 1)], FPU).is_none());
        // the state in place for one member only
        assert!(kernel_call(&group(false), &ops, &[(1, 0)], FPU).is_none());
        // a broadcast coefficient (one row for every channel)
        let mut ops2 = ops.clone();
        ops2[5] = vec![1, 1, 8];
        assert!(kernel_call(&group(false), &ops2, &[], FPU).is_none());
        // u per mode rather than per channel
        let mut ops3 = ops;
        ops3[4] = vec![1, 4, 8];
        assert!(kernel_call(&group(false), &ops3, &[], FPU).is_none());
    }
}
