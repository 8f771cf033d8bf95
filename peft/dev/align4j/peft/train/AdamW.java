package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * AdamW with PyTorch's semantics (decoupled weight decay, bias correction), its state kept beside
 * each parameter. Norm gains and biases (1-D tensors) get no weight decay, as transformers' Trainer
 * does. The update runs in place tensor by tensor (a handful of libtorch ops each, temporaries freed
 * per step) when {@code -Dalign4j.fusedAdamw=false}; by default libtorch's fused multi-tensor kernel
 * updates each group in one call (see {@code FUSED}).
 *
 * <p>A parameter that received no gradient in a step (no backward reached it since the gradients were
 * last released: PyTorch's {@code p.grad is None}) is skipped as torch.optim.AdamW skips it: no moment
 * update, no weight decay, and its own step count does not advance, so its bias correction follows the
 * steps it took part in.
 */
public final class AdamW implements AutoCloseable {
  private final List<Parameter> decay = new ArrayList<>();
  private final List<Parameter> noDecay = new ArrayList<>();
  private final NDManager state;
  private final List<NDArray[]> decayState = new ArrayList<>();
  private final List<NDArray[]> noDecayState = new ArrayList<>();
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final boolean fused;
  private long steps;

  /**
   * @param params trainable parameters: float32 (float64) masters, or bfloat16 ones without a master,
   *     whose moments are then bfloat16 too and which the fused kernel updates as torch's {@code
   *     AdamW(fused=True)} does (float32 arithmetic, each result rounded to bfloat16 once)
   * @param stateManager where the moment estimates live (freed on close)
   */
  public AdamW(List<Parameter> params, NDManager stateManager, double beta1, double beta2, double eps, double weightDecay) {
    this(params, stateManager, beta1, beta2, eps, weightDecay, FUSED);
  }

  /** As above, with the update path chosen: fused (libtorch's kernel) or per tensor (for tests). */
  AdamW(List<Parameter> params, NDManager stateManager, double beta1, double beta2, double eps, double weightDecay,
      boolean fused) {
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("adamw: betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(eps > 0) || weightDecay < 0) {
      throw new IllegalArgumentException("adamw: eps must be > 0 and weight_decay >= 0");
    }
    this.state = stateManager.newSubManager();
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.fused = fused;
    for (Parameter p : params) {
      if (!p.trainable()) {
        throw new IllegalArgumentException("adamw: " + p.name() + " is not trainable");
      }
      boolean d = p.shape().dimension() >= 2;
      (d ? decay : noDecay).add(p);
      NDArray m = moment(p);
      NDArray v = moment(p);
      NDArray t = state.zeros(new Shape(), DataType.FLOAT32);
      (d ? decayState : noDecayState).add(new NDArray[] {m, v, t});
    }
  }

  /**
   * A zero moment of {@code p}'s dtype, as torch's {@code zeros_like(param)}: bfloat16 for a parameter
   * trained without a master ({@link Parameter#dropMaster}), made through the kernel bridge because DJL
   * cannot create bfloat16 arrays.
   */
  private NDArray moment(Parameter p) {
    if (DTypeGuard.isDjlType(p.data())) {
      return state.zeros(p.shape(), p.data().getDataType());
    }
    if (!fused) {
      throw new IllegalStateException("adamw: " + p.name() + " is bfloat16 (no float32 master): only the fused "
          + "update (the default; -Dalign4j.fusedAdamw=true) handles it");
    }
    NDArray z = Kernels.get().zeros(p.data(), p.shape());
    z.attach(state);
    return z;
  }

  /**
   * Applies one update with learning rate {@code lr} from the gradients now on the parameters; those
   * without a gradient are left as they are (weights, moments and step count).
   */
  public void step(double lr) {
    try (NDManager scratch = state.newSubManager()) {
      update(decay, decayState, lr, weightDecay, scratch);
      update(noDecay, noDecayState, lr, 0.0, scratch);
    }
    steps++;
  }

  private void update(List<Parameter> ps, List<NDArray[]> st, double lr, double wd, NDManager scratch) {
    List<NDArray> params = new ArrayList<>();
    List<NDArray> grads = new ArrayList<>();
    List<NDArray> m = new ArrayList<>();
    List<NDArray> v = new ArrayList<>();
    List<NDArray> t = new ArrayList<>();
    List<Double> scales = new ArrayList<>();
    for (int i = 0; i < ps.size(); i++) {
      NDArray g = ps.get(i).gradient(scratch);   // a new handle each call: freed with the step
      if (g == null) {
        continue;                                // no gradient this step: torch leaves it untouched
      }
      params.add(ps.get(i).data());
      grads.add(g);
      m.add(st.get(i)[0]);
      v.add(st.get(i)[1]);
      t.add(st.get(i)[2]);
      scales.add(ps.get(i).lrScale());
    }
    if (params.isEmpty()) {
      return;
    }
    if (fused) {
      // one kernel call per learning rate (torch's param_groups): nearly always one
      for (double scale : new TreeSet<>(scales)) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < scales.size(); i++) {
          if (scales.get(i) == scale) {
            idx.add(i);
          }
        }
        Kernels.get().adamw(pick(params, idx), pick(grads, idx), pick(m, idx), pick(v, idx), pick(t, idx), lr * scale,
            beta1, beta2, wd, eps);
      }
      return;
    }
    // torch's single-tensor AdamW, tensor by tensor, every temporary (scalars included) on the scratch
    // manager; scalars of the parameter's dtype, so that a float64 run is float64 throughout
    for (int i = 0; i < params.size(); i++) {
      double lri = lr * scales.get(i);    // this tensor's group's rate
      NDArray p = params.get(i);
      NDArray g = grads.get(i);
      NDArray mi = m.get(i);
      NDArray vi = v.get(i);
      t.get(i).addi(1f);
      long step = (long) t.get(i).getFloat();   // this tensor's own count (exact in float32 to 2^24)
      double bc1 = 1 - Math.pow(beta1, step);
      double bc2 = 1 - Math.pow(beta2, step);
      if (wd > 0) {
        p.muli(scalar(p, 1 - lri * wd, scratch));
      }
      NDArray diff = g.sub(mi);
      diff.attach(scratch);
      mi.addi(diff.muli(scalar(p, 1 - beta1, scratch)));                   // exp_avg.lerp_(grad, 1 - beta1)
      NDArray g2 = g.square();
      g2.attach(scratch);
      vi.muli(scalar(p, beta2, scratch)).addi(g2.muli(scalar(p, 1 - beta2, scratch)));
      NDArray denom = vi.sqrt();
      denom.attach(scratch);
      denom.divi(scalar(p, Math.sqrt(bc2), scratch)).addi(scalar(p, eps, scratch));
      NDArray update = mi.div(denom);
      update.attach(scratch);
      p.subi(update.muli(scalar(p, lri / bc1, scratch)));
    }
  }

  private static List<NDArray> pick(List<NDArray> xs, List<Integer> idx) {
    return idx.size() == xs.size() ? xs : idx.stream().map(xs::get).toList();
  }

  /** A scalar of {@code like}'s dtype (float64 exact) on {@code scratch}. */
  private static NDArray scalar(NDArray like, double value, NDManager scratch) {
    NDArray s = Kernels.scalar(like, value);
    s.attach(scratch);
    return s;
  }

  /**
   * Whether to use libtorch's fused {@code _fused_adamw_} through the kernel bridge (one call per
   * group); on by default, {@code -Dalign4j.fusedAdamw=false} for the per-tensor path. It was once
   * suspected while hunting NaNs that turned out to come from DJL's zero-copy {@code NDArray.set}
   * (see TrainingCheckpoint) and from MKL's dynamic threading. AdamWTest checks the default (fused)
   * path against the reference. Full fine-tuning of the SmolLM2-135M shape: the per-tensor update took
   * 4.6 s of a 19.9 s step (1 thread, loaded machine), about 15 libtorch ops per tensor.
   */
  private static final boolean FUSED = Boolean.parseBoolean(System.getProperty("align4j.fusedAdamw", "true"));

  /** Optimizer steps taken (a parameter's own count, in its state, omits the steps that skipped it). */
  public long steps() {
    return steps;
  }

  /**
   * The state of {@code p}: {@code [exp_avg, exp_avg_sq, step]}, updated in place (for checkpoints);
   * {@code step} counts the updates {@code p} took part in, as torch's {@code state[p]["step"]}.
   */
  public NDArray[] stateOf(Parameter p) {
    int i = decay.indexOf(p);
    if (i >= 0) {
      return decayState.get(i);
    }
    i = noDecay.indexOf(p);
    if (i < 0) {
      throw new IllegalArgumentException(p.name() + " is not optimised here");
    }
    return noDecayState.get(i);
  }

  /**
   * Restores the step count after loading state from a checkpoint (the per-tensor counts are part of
   * each parameter's state, {@link #stateOf}).
   */
  public void setSteps(long steps) {
    this.steps = steps;
  }

  @Override
  public void close() {
    state.close();
  }
}
