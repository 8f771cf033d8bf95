package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Objects;

/**
 * One named model tensor (Hugging Face name) and whether it trains.
 *
 * <p>Frozen parameters are stored in the compute dtype. Trainable ones are float32 (or float64)
 * masters; {@link #forCompute} casts them to the compute dtype differentiably so that gradients land
 * on the master. After {@link #dropMaster} (pure bfloat16, {@link MasterWeights#NONE}) a parameter is
 * stored in the compute dtype whether it trains or not, and trains that tensor itself.
 */
public final class Parameter {
  private final String name;
  private NDArray data;
  private boolean trainable;
  private double lrScale = 1.0;
  private final Precision precision;
  private final boolean alwaysMaster;
  /** Whether {@link #data} is known to own its storage (see {@link #dropGradient}). */
  private boolean ownedStorage;
  /** Set by {@link #dropMaster}: stored in the compute dtype always, trained without a master. */
  private boolean masterless;

  /** A parameter holding {@code data}, frozen. */
  public Parameter(String name, NDArray data, Precision precision) {
    this(name, data, precision, false);
  }

  private Parameter(String name, NDArray data, Precision precision, boolean alwaysMaster) {
    this.name = Objects.requireNonNull(name);
    this.data = Objects.requireNonNull(alwaysMaster ? Casts.toMaster(data, precision) : data);
    this.precision = Objects.requireNonNull(precision);
    this.alwaysMaster = alwaysMaster;
    if (alwaysMaster && this.data != data) {
      data.close();
    }
  }

  /**
   * A parameter that keeps its float32 (float64) master even while frozen: adapter weights, which
   * switch between trainable and frozen (a second adapter added, the active one changed) and must
   * not be rounded to the compute dtype on the way. Starts frozen.
   */
  public static Parameter master(String name, NDArray data, Precision precision) {
    return new Parameter(name, data, precision, true);
  }

  /** The Hugging Face tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}. */
  public String name() {
    return name;
  }

  /** The stored tensor (the master when trainable). */
  public NDArray data() {
    return data;
  }

  /** The model's compute precision this parameter follows. */
  public Precision precision() {
    return precision;
  }

  /** Its shape. */
  public Shape shape() {
    return data.getShape();
  }

  /** Whether this parameter trains without a master ({@link #dropMaster}). */
  public boolean masterless() {
    return masterless;
  }

  /**
   * From now on this parameter is stored in the compute dtype, trainable or not: under bfloat16 a
   * trainable parameter then trains its bfloat16 tensor itself (gradient and AdamW moments in
   * bfloat16, {@link MasterWeights#NONE}) instead of a float32 master. A master it holds now is
   * rounded to bfloat16 once. Under float32 and float64 the master is the compute tensor, so only the
   * flag changes. Idempotent.
   */
  public void dropMaster() {
    if (masterless) {
      return;
    }
    masterless = true;
    if (precision != Precision.BFLOAT16) {
      return;
    }
    boolean t = trainable;
    if (t) {
      data.setRequiresGradient(false);
    }
    NDArray compute = Casts.toStored(data, precision);
    if (compute != data) {
      NDScope.unregister(compute);   // the parameter owns it, not a caller's scope
      data.close();
      data = compute;
      ownedStorage = true;   // a bridge result: libtorch's own storage
    }
    if (t) {
      data.setRequiresGradient(true);
    }
  }

  /**
   * The factor on the optimiser's learning rate for this parameter (1 unless set): a parameter group's
   * own learning rate, as torch's {@code param_groups} give one (e.g. Unsloth's {@code
   * embedding_learning_rate} for {@code modules_to_save} copies).
   */
  public double lrScale() {
    return lrScale;
  }

  /** Sets {@link #lrScale()}; finite and >= 0. */
  public void setLrScale(double scale) {
    if (!(scale >= 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException(name + ": learning-rate scale must be finite and >= 0, got " + scale);
    }
    this.lrScale = scale;
  }

  /** Whether gradients are recorded for it. */
  public boolean trainable() {
    return trainable;
  }

  /**
   * Marks the parameter trainable or frozen. A trainable parameter becomes a float32 master (float64
   * under {@link Precision#FLOAT64}) with a gradient attached.
   */
  public void setTrainable(boolean on) {
    if (on == trainable) {
      return;
    }
    if (on && masterless) {
      data.setRequiresGradient(true);
    } else if (on) {
      NDArray master = Casts.toMaster(data, precision);
      if (master != data) {
        data.close();
        data = master;
        ownedStorage = false;
      }
      data.setRequiresGradient(true);
    } else if (alwaysMaster || masterless) {
      data.setRequiresGradient(false);
    } else {
      data.setRequiresGradient(false);
      NDArray compute = Casts.toCompute(data, precision);
      if (compute != data) {
        data.close();
        data = compute;
        ownedStorage = false;
      }
    }
    trainable = on;
  }

  /**
   * The gradient accumulated into this parameter since its last {@link #dropGradient} (or since it
   * became trainable), attached to {@code owner}; null when no backward has reached it, PyTorch's
   * {@code p.grad is None}. DJL's {@code getGradient} answers float32 zeros then, which an optimizer
   * cannot tell from a real zero gradient (and which do not match a float64 master).
   */
  public NDArray gradient(NDManager owner) {
    if (!trainable || !(data instanceof PtNDArray pt)) {
      return null;
    }
    PtNDArray grad = JniUtils.getGradient(pt);   // a new handle on the gradient, or null
    if (grad != null) {
      grad.attach(owner);
    }
    return grad;
  }

  /**
   * Frees the gradient, as {@code zero_grad(set_to_none=True)} does in PyTorch: the next backward
   * allocates it afresh (or takes over the incoming gradient's buffer) instead of adding into a zeroed
   * one, so the gradients of all parameters do not sit in memory through the forward. libtorch offers
   * no call that drops a leaf's gradient, so the stored tensor is swapped for a fresh leaf over the same
   * values and the old one, which owns the gradient, is closed. The first time, the fresh leaf is a copy:
   * an array DJL made from host data (a loaded checkpoint) reads the memory of a Java buffer that only
   * the old array keeps alive. Callers must not keep {@link #data()} across it.
   *
   * @return whether the values were copied (the old Java buffer is freed by the next garbage collection)
   */
  public boolean dropGradient() {
    if (!trainable || !(data instanceof PtNDArray pt)) {
      return false;
    }
    PtNDArray grad = JniUtils.getGradient(pt);   // null when there is none
    if (grad == null) {
      return false;
    }
    boolean copied = !ownedStorage;
    grad.close();
    NDArray alias = data.stopGradient();          // a new leaf over the same storage, no gradient
    NDArray fresh = alias;
    if (!ownedStorage) {
      fresh = alias.duplicate();                   // libtorch's own storage from now on
      alias.close();
      ownedStorage = true;
    }
    NDScope.unregister(fresh);                     // the parameter owns it, not a caller's scope
    fresh.setRequiresGradient(true);
    data.close();
    data = fresh;
    return copied;
  }

  /**
   * {@link #forCompute()}, a copy (the bfloat16 compute copy of a master) attached to {@code owner}
   * (the step's manager) rather than to the parameter's: one made outside a scope that closes it
   * otherwise stays until the model closes, a new one every step.
   */
  public NDArray forCompute(NDManager owner) {
    NDArray c = forCompute();
    if (c != data) {
      c.attach(owner);
    }
    return c;
  }

  /** The tensor in the compute dtype; differentiable with respect to the master. */
  public NDArray forCompute() {
    return !masterless && (trainable || alwaysMaster) ? Casts.toCompute(data, precision) : data;
  }

  /** Replaces the stored tensor (loading, merging); the old one is closed. */
  public void replace(NDArray next) {
    if (!next.getShape().equals(data.getShape())) {
      throw new IllegalArgumentException(
          name + ": shape " + next.getShape() + " does not match " + data.getShape());
    }
    boolean t = trainable;
    if (t) {
      data.setRequiresGradient(false);
    }
    data.close();
    data = masterless ? Casts.toStored(next, precision) : alwaysMaster ? Casts.toMaster(next, precision) : next;
    ownedStorage = false;
    if (data != next) {
      next.close();
    }
    trainable = false;
    if (t) {
      setTrainable(true);
    }
  }

  @Override
  public String toString() {
    return name + shape() + (trainable ? " trainable" : "");
  }
}
