//! Semihosting I/O: reads model inputs from host files (little-endian f32, the way the test writes
//! them), prints outputs bit-exactly (hex of each f32's bits) and exits with a status QEMU passes on.

use core::fmt::Write;
use cortex_m_semihosting::{debug, hio, nr, syscall};

/// Why an input could not be read.
#[derive(Clone, Copy, Debug)]
pub enum Error {
    /// The file name is longer than 63 bytes.
    Name,
    /// The host could not open the file.
    Open,
    /// The file does not hold exactly as many f32 values as the buffer.
    Length,
    /// The host failed to read.
    Read,
}

/// Prints one line, prefixed `ecgc-fw `, to the host's stdout.
pub fn line(args: core::fmt::Arguments) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = writeln!(out, "ecgc-fw {args}");
    }
}

/// Fills `out` with the little-endian f32 values of the host file `path` (relative to QEMU's
/// working directory), which must hold exactly `out.len()` of them.
pub fn read_f32(path: &str, out: &mut [f32]) -> Result<(), Error> {
    let mut name = [0u8; 64];
    if path.len() >= name.len() {
        return Err(Error::Name);
    }
    name[..path.len()].copy_from_slice(path.as_bytes());
    // SAFETY: SYS_OPEN reads a NUL-terminated name of the given length; `name` outlives the call.
    let fd = unsafe { syscall!(OPEN, name.as_ptr(), nr::open::R_BINARY, path.len()) } as isize;
    if fd < 0 {
        return Err(Error::Open);
    }
    let result = read_open(fd as usize, out);
    // SAFETY: closes the handle opened above.
    unsafe { syscall!(CLOSE, fd as usize) };
    result
}

fn read_open(fd: usize, out: &mut [f32]) -> Result<(), Error> {
    // SAFETY: SYS_FLEN only reads the handle.
    let len = unsafe { syscall!(FLEN, fd) };
    if len != out.len() * 4 {
        return Err(Error::Length);
    }
    let mut buf = [0u8; 256];
    for chunk in out.chunks_mut(buf.len() / 4) {
        let bytes = &mut buf[..chunk.len() * 4];
        // SAFETY: SYS_READ writes at most `bytes.len()` bytes into `bytes`; it returns how many
        // were *not* read (0 on success).
        let left = unsafe { syscall!(READ, fd, bytes.as_mut_ptr(), bytes.len()) };
        if left != 0 {
            return Err(Error::Read);
        }
        for (x, b) in chunk.iter_mut().zip(bytes.chunks_exact(4)) {
            *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
    }
    Ok(())
}

/// Prints `model`'s MACs, instructions per inference (`-` if the timer wrapped) and the stack's
/// high-water mark so far.
pub fn report(model: &str, macs: u64, instructions: Option<u64>) {
    let stack = crate::stack::high_water();
    match instructions {
        Some(n) => line(format_args!("model {model} macs {macs} instructions {n} stack {stack}")),
        None => line(format_args!("model {model} macs {macs} instructions - stack {stack}")),
    }
}

/// Prints output `k` of `model`: `output MODEL K LEN` then each value's bits in hex, 8 per line.
pub fn print_f32(model: &str, k: usize, values: &[f32]) {
    line(format_args!("output {model} {k} {}", values.len()));
    for row in values.chunks(8) {
        let Ok(mut out) = hio::hstdout() else { return };
        let _ = out.write_str("ecgc-fw  ");
        for x in row {
            let _ = write!(out, " {:08x}", x.to_bits());
        }
        let _ = out.write_str("\n");
    }
}

/// Ends the run: QEMU exits with status 0 if `ok` (and `.dtcm` was initialised), 1 otherwise.
pub fn exit(ok: bool) -> ! {
    let dtcm = crate::dtcm::initialised();
    if !dtcm {
        line(format_args!("error .dtcm was not copied from flash at reset"));
    }
    let ok = ok && dtcm;
    line(format_args!("exit {}", if ok { "ok" } else { "failure" }));
    debug::exit(if ok { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    loop {
        cortex_m::asm::wfi();
    }
}
