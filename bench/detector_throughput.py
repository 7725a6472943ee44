"""Photos per second of the product detector in batches, and how far that is from the device's limit.

    python bench/detector_throughput.py [--device cuda|cpu|auto] [--batch 1 8 16 32 64] [--imgsz 1088]
                                        [--seconds 10] [--peak-tflops N] [--weights PATH]

For each batch size it times, over ``--seconds`` each:
- **forward**: the network alone on a batch already on the device (FP16 on CUDA), synchronised;
- **detect**: what a GPU worker pays per batch of photos already decoded to 12 MP pixels: letterbox on
  the CPU, copy to the device, forward, NMS (``ProductDetector.detect``).

"How far from the limit" is the forward pass's achieved TFLOP/s (the model's FLOPs at this input size
times photos/s) against the device's dense FP16 peak (``--peak-tflops``, or a table of common GPUs),
plus the share of ``detect`` time that is not the forward pass (the CPU-side work a worker must overlap
or parallelise). On CPU it runs too, as a check of the script and for CPU figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.vision_latency import phone_photo  # noqa: E402
from shelfai.vision.detector import DetectorSettings, ProductDetector, letterbox, network_input  # noqa: E402
from shelfai.vision.pipeline import load_oriented_image  # noqa: E402

DEFAULT_WEIGHTS = REPO / "shelfai" / "vision" / "weights" / "shelf-detector.pt"
# Dense FP16 tensor-core peaks from the vendors' data sheets (TFLOP/s, no sparsity).
PEAK_FP16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
                    "T4": 65.0, "V100": 125.0, "RTX 4090": 165.0}


def model_gflops(weights: Path, height: int, width: int) -> float:
    """GFLOPs of one forward pass at ``height x width`` (ultralytics' count at 640 x 640, scaled by area)."""
    from ultralytics.nn.tasks import load_checkpoint
    from ultralytics.utils.torch_utils import get_flops

    model, _ = load_checkpoint(str(weights), device="cpu", fuse=False)
    return get_flops(model.float(), 640) * height * width / (640 * 640)


def timed(fn, seconds: float, sync) -> list[float]:
    fn()
    sync()  # warm-up (CUDA kernels, cuDNN autotune)
    times, deadline = [], time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 3:
        started = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8, 16, 32, 64])
    parser.add_argument("--imgsz", type=int, default=DetectorSettings().imgsz)
    parser.add_argument("--seconds", type=float, default=10.0, help="timing per batch size and measure")
    parser.add_argument("--peak-tflops", type=float, default=0.0, help="the device's dense FP16 peak")
    args = parser.parse_args()

    import torch

    detector = ProductDetector.load(args.weights, device=args.device, prefer_onnx=False)
    device = detector.device
    cuda = device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    name = torch.cuda.get_device_name(0) if cuda else f"CPU, {torch.get_num_threads()} threads"
    peak = args.peak_tflops or next((v for k, v in PEAK_FP16_TFLOPS.items() if cuda and k in name), 0.0)
    data, origin = phone_photo()  # a real shelf photo at 12 MP when ../shared/data is there
    photo = load_oriented_image(data)
    canvas, _, _ = letterbox(photo, args.imgsz)
    h, w = canvas.shape[:2]
    one = network_input(canvas)
    gflops = model_gflops(args.weights, h, w)
    print(f"photo: {origin}, {photo.shape[1]}x{photo.shape[0]}")
    print(f"device: {name}   input {w}x{h}   {gflops:.1f} GFLOPs per photo"
          + (f"   peak FP16 {peak:.0f} TFLOP/s" if peak else ""), flush=True)
    print(f"{'batch':>5} {'forward photos/s':>17} {'TFLOP/s':>8} {'of peak':>8} {'detect photos/s':>16} "
          f"{'p50 ms/batch':>13} {'not forward':>12}")
    backend = detector._backend  # noqa: SLF001 - the forward pass alone, as detect() calls it
    for batch in args.batch:
        detector.settings = replace(detector.settings, batch=batch, imgsz=args.imgsz)
        tensor = np.ascontiguousarray(np.broadcast_to(one, (batch, *one.shape)))
        try:
            forward = timed(lambda t=tensor: backend(t), args.seconds, sync)
            photos = [photo] * batch
            detect = timed(lambda p=photos: detector.detect(p), args.seconds, sync)
        except RuntimeError as exc:  # CUDA out of memory at a large batch: report and stop
            print(f"{batch:>5} stopped: {str(exc).splitlines()[0]}")
            break
        fwd_s, det_s = statistics.median(forward), statistics.median(detect)
        fwd_rate, det_rate = batch / fwd_s, batch / det_s
        tflops = gflops * fwd_rate / 1000
        print(f"{batch:>5} {fwd_rate:>17.1f} {tflops:>8.2f} "
              f"{(f'{100 * tflops / peak:.1f}%' if peak else 'n/a'):>8} {det_rate:>16.1f} "
              f"{1000 * det_s:>13.0f} {100 * (1 - fwd_s / det_s):>11.0f}%", flush=True)
    if cuda:
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
