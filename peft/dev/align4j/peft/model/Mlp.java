package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** The SwiGLU feed-forward block (Shazeer 2020, eq. 5): {@code down(silu(gate(x)) * up(x))}. */
public final class Mlp {
  Linear gate;
  Linear up;
  Linear down;

  Mlp(Linear gate, Linear up, Linear down) {
    this.gate = gate;
    this.up = up;
    this.down = down;
  }

  /** {@code [B, T, H] -> [B, T, H]} through {@code [B, T, F]}. */
  NDArray forward(NDArray x) {
    NDArray g = gate.forward(x);                 // [B, T, F]
    NDArray act = g.mul(Activation.sigmoid(g));  // silu(g) = g * sigmoid(g)
    return down.forward(act.mul(up.forward(x))); // [B, T, H]
  }
}
