//! ECG beat classification on a 32F746G-DISCOVERY, with the model compiled by ecgc.
//!
//! A sampler task reads the Arduino A0 pin (PA0, ADC1 channel 0: an ECG front end such as an
//! AD8232 goes there) at 360 Hz, the rate the model was trained at, and sends each sample over a
//! channel. The main task keeps the last 240 samples (0.667 s, the model's window) and every 180
//! samples (0.5 s) classifies the window with `ecg_cnn::Model::run`, logging p(wide beat) and the
//! inference time over RTT (defmt). The model owns its 7.5 KiB arena and lives in a `static`
//! ([`ConstStaticCell`]), not on the stack. See README.md for building and flashing.

#![no_std]
#![no_main]

use defmt::info;
use embassy_executor::Spawner;
use embassy_stm32::adc::{Adc, SampleTime};
use embassy_stm32::peripherals::{ADC1, PA0};
use embassy_stm32::time::Hertz;
use embassy_stm32::{rcc, Config, Peri};
use embassy_sync::blocking_mutex::raw::ThreadModeRawMutex;
use embassy_sync::channel::Channel;
use embassy_time::{Duration, Instant, Ticker};
use static_cell::ConstStaticCell;
use {defmt_rtt as _, panic_probe as _};

/// Sampling rate of the model's training data (MIT-BIH, 360 Hz).
const FS_HZ: u64 = 360;
/// The model's input window (240 samples).
const WINDOW: usize = ecg_cnn::X_LEN;
/// A classification every `HOP` samples (0.5 s).
const HOP: usize = 180;
/// ADC counts to millivolts at the electrodes: 3.3 V full scale over 12 bits, divided by the
/// analog front end's gain (1100 for an AD8232 in its reference circuit). Adjust to your front end.
const MV_PER_COUNT: f32 = 3300.0 / 4095.0 / 1100.0;

static MODEL: ConstStaticCell<ecg_cnn::Model> = ConstStaticCell::new(ecg_cnn::Model::new());
static SAMPLES: Channel<ThreadModeRawMutex, f32, 64> = Channel::new();

/// 216 MHz from the board's 25 MHz crystal: 25 / 25 × 432 / 2.
fn clocks() -> Config {
    let mut config = Config::default();
    config.rcc.hse = Some(rcc::Hse { freq: Hertz(25_000_000), mode: rcc::HseMode::Oscillator });
    config.rcc.pll_src = rcc::PllSource::HSE;
    config.rcc.pll = Some(rcc::Pll {
        prediv: rcc::PllPreDiv::DIV25,
        mul: rcc::PllMul::MUL432,
        divp: Some(rcc::PllPDiv::DIV2),
        divq: Some(rcc::PllQDiv::DIV9),
        divr: None,
    });
    config.rcc.sys = rcc::Sysclk::PLL1_P;
    config.rcc.ahb_pre = rcc::AHBPrescaler::DIV1;
    config.rcc.apb1_pre = rcc::APBPrescaler::DIV4;
    config.rcc.apb2_pre = rcc::APBPrescaler::DIV2;
    config
}

/// Reads A0 at exactly `FS_HZ` (the ticker keeps a fixed schedule; a tick delayed by an
/// inference, about 2 ms, is caught up at once) and sends each sample, in mV, to the main task.
#[embassy_executor::task]
async fn sample(mut adc: Adc<'static, ADC1>, mut pin: Peri<'static, PA0>) {
    let mut ticker = Ticker::every(Duration::from_hz(FS_HZ));
    let mut baseline = 0.0f32;
    loop {
        ticker.next().await;
        let mv = f32::from(adc.blocking_read(&mut pin, SampleTime::CYCLES112)) * MV_PER_COUNT;
        // One-pole high-pass (≈0.5 Hz) removes the electrode offset and baseline wander.
        baseline += 0.0087 * (mv - baseline);
        SAMPLES.send(mv - baseline).await;
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let p = embassy_stm32::init(clocks());
    info!(
        "ecg-cnn on the F746: {} MACs, weights {} B, arena {} B",
        ecg_cnn::MACS,
        ecg_cnn::WEIGHT_BYTES,
        ecg_cnn::ARENA_BYTES
    );
    spawner.spawn(sample(Adc::new(p.ADC1), p.PA0).expect("the sampler task is spawned once"));

    let model = MODEL.take();
    let mut ring = [0.0f32; WINDOW];
    let mut at = 0;
    let mut fresh = 0;
    let mut x = [0.0f32; WINDOW];
    let mut y = [0.0f32; ecg_cnn::Y_LEN];
    loop {
        ring[at] = SAMPLES.receive().await;
        at = (at + 1) % WINDOW;
        fresh += 1;
        if fresh < HOP {
            continue;
        }
        fresh = 0;
        // The window in time order, minus its mean (the model was trained on median-removed windows).
        let (old, new) = ring.split_at(at);
        x[..new.len()].copy_from_slice(new);
        x[new.len()..].copy_from_slice(old);
        let mean = x.iter().sum::<f32>() / WINDOW as f32;
        x.iter_mut().for_each(|v| *v -= mean);

        let start = Instant::now();
        model.run(&x, &mut y);
        let took = start.elapsed();
        info!("p(wide beat) = {=f32}  ({} us)", y[1], took.as_micros());
    }
}
