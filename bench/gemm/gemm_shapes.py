"""Thread CPU time of the LoRA step's GEMMs in torch, one thread; the twin of GemmShapes.java.

Run: python bench/gemm/gemm_shapes.py REPS [float32|bfloat16]
"""
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
dtype = torch.bfloat16 if len(sys.argv) > 2 and sys.argv[2] == "bfloat16" else torch.float32
# the last: the chunked loss head (86 rows x 576 -> 49152)
for s in [(512, 576, 576), (512, 576, 192), (512, 576, 1536), (512, 1536, 576), (86, 576, 49152)]:
    x = torch.randn(s[0], s[1], dtype=dtype); w = torch.randn(s[2], s[1], dtype=dtype); dy = torch.randn(s[0], s[2], dtype=dtype)
    for kind, f in (("x W^T (linear)", lambda: F.linear(x, w)), ("dY W", lambda: dy @ w),
                    ("dY^T X", lambda: dy.t() @ x)):
        for _ in range(3):
            f()
        c0 = time.thread_time()
        for _ in range(reps):
            f()
        ms = (time.thread_time() - c0) * 1e3 / reps
        print("torch\t%s\t%dx%dx%d\t%s\t%.3f ms\t%.1f GFLOP/s" % (str(dtype).split(".")[1], s[0], s[1], s[2], kind, ms, 2 * s[0] * s[1] * s[2] / (ms / 1e3) / 1e9))
p = torch.randn(16); q = torch.randn(16)
n = 20000
for _ in range(1000):
    p + q
c0 = time.thread_time()
for _ in range(n):
    p + q
print("torch\tcheap op ([16] add, result freed)\t%.2f us" % ((time.thread_time() - c0) * 1e6 / n))
