package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.quant.Nf4Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A linear layer with LoRA adapters: {@code y = W x + b + s * B A dropout(x)} (Hu et al. 2021, eq. 3),
 * or with DoRA {@code y = m / ||W + s B A||_row * (W x + s B A x) + b} with the norm detached (Liu et al.
 * 2024, eq. 5 and section 4.3), exactly as PEFT computes them.
 *
 * <p>Several named adapters may sit on one layer; the shared {@link AdapterState} says which one is
 * active and whether any is. Merging folds the active adapter into the base weight and keeps the
 * original, so unmerging restores it bit for bit.
 */
public final class LoraLinear implements dev.align4j.peft.model.Linear {
  private dev.align4j.peft.model.Linear base;
  private Nf4Linear quantizedBase;   // the 4-bit layer a merge replaced, restored by unmerge
  private final AdapterState state;
  private final LinkedHashMap<String, LoraWeights> adapters = new LinkedHashMap<>();
  private NDArray unmergedWeight;
  private String mergedAdapter;

  /** Wraps a dense or 4-bit base layer. */
  public LoraLinear(dev.align4j.peft.model.Linear base, AdapterState state) {
    if (!(base instanceof DenseLinear) && !(base instanceof Nf4Linear)) {
      throw new IllegalArgumentException("LoRA wraps dense or NF4 linear layers, not " + base.getClass().getSimpleName());
    }
    this.base = base;
    this.state = state;
  }

  /** The wrapped layer. */
  public dev.align4j.peft.model.Linear base() {
    return base;
  }

  /** The base weight in the compute dtype (dequantised into {@code scratch} for an NF4 base). */
  NDArray baseWeight(NDManager scratch) {
    return base instanceof Nf4Linear q ? q.computeWeight(scratch) : ((DenseLinear) base).weight().forCompute();
  }

  private dev.align4j.peft.model.Parameter baseBias() {
    return base instanceof Nf4Linear q ? q.bias() : ((DenseLinear) base).bias();
  }

  /** Adds (or replaces) an adapter's weights. */
  void put(String adapter, LoraWeights w) {
    adapters.put(adapter, w);
  }

  /** Adapters by name. */
  public Map<String, LoraWeights> adapters() {
    return Collections.unmodifiableMap(adapters);
  }

  @Override
  public NDArray forward(NDArray x) {
    List<String> names = state.activeNames();
    boolean mergedOn = mergedAdapter != null && names.contains(mergedAdapter);
    NDArray y = mergedAdapter == null || mergedOn ? base.forward(x)
        : quantizedBase != null ? quantizedBase.forward(x) : linear(x, unmergedWeight);   // [..., out]
    List<LoraWeights> apply = new ArrayList<>();
    for (String n : names) {
      if (!n.equals(mergedAdapter) && adapters.containsKey(n)) {
        apply.add(adapters.get(n));
      }
    }
    if (apply.isEmpty()) {
      return y;
    }
    if (apply.size() == 1 && mergedAdapter == null) {
      return single(x, y, apply.get(0));
    }
    // several active adapters: their contributions add up in order, as PEFT's forward loop does
    for (LoraWeights w : apply) {
      NDArray a = w.a().forCompute();                                       // [r, in]
      NDArray b = w.b().forCompute();                                       // [out, r]
      if (w.magnitude() == null) {
        y = addDelta(x, y, w, a, b);
        continue;
      }
      NDArray delta = delta(x, w, a, b);                                    // [..., out]
      // DoRA as PEFT's variant: y += (g - 1) * (y - bias) + g * s B A x, g = m / ||W + s B A||
      NDArray weight = mergedAdapter != null ? unmergedWeight : baseWeight(x.getManager());
      NDArray scale = DoraNorm.magnitudeScale(w.magnitude().forCompute(), weight, a, b, w.scaling()); // [out]
      NDArray bias = baseBias() == null ? null : baseBias().forCompute();
      NDArray wx = bias == null ? y : y.sub(bias);                          // [..., out]
      y = y.add(wx.mul(scale.sub(Kernels.scalar(scale, 1.0)))).add(delta.mul(scale));
    }
    return y;
  }

  /**
   * {@code s * B A dropout(x)}, the scale applied to the rank-r product {@code A x} ({@code [..., r]})
   * rather than to the output ({@code [..., out]}), which is the same product with r/out of the
   * elementwise work in forward and backward.
   */
  private NDArray delta(NDArray x, LoraWeights w, NDArray a, NDArray b) {
    NDArray h = x;
    if (w.dropout() > 0 && state.training()) {
      h = Dropout.dropout(h, (float) w.dropout(), true).singletonOrThrow();
    }
    NDArray ax = Kernels.get().mulScalar(Linear.linear(h, a).singletonOrThrow(), w.scaling()); // [..., r]
    return Linear.linear(ax, b).singletonOrThrow();                                               // [..., out]
  }

  /**
   * {@code y + s * B A dropout(x)}: the rank-r product {@code s A x} ({@code [..., r]}), then its product
   * with B accumulated into {@code y} by one {@code addmm} (bit for bit {@code y + delta}, without a
   * separate {@code [..., out]} addition in forward: 210 of them in a LoRA step of a 30-layer model); a
   * plain addition where the dtypes differ (a bfloat16 base output and float32 adapter weights).
   */
  private NDArray addDelta(NDArray x, NDArray y, LoraWeights w, NDArray a, NDArray b) {
    NDArray h = x;
    if (w.dropout() > 0 && state.training()) {
      h = Dropout.dropout(h, (float) w.dropout(), true).singletonOrThrow();
    }
    NDArray ax = Kernels.get().mulScalar(Linear.linear(h, a).singletonOrThrow(), w.scaling()); // [..., r]
    DataType t = y.getDataType();
    if (t == ax.getDataType() && t == b.getDataType() && (t == DataType.FLOAT32 || t == DataType.FLOAT64)) {
      return Kernels.get().linearAdd(y, ax, b);                                                  // [..., out]
    }
    return y.add(Linear.linear(ax, b).singletonOrThrow());
  }

  /** One active adapter on the unmerged base output {@code y}. */
  private NDArray single(NDArray x, NDArray y, LoraWeights w) {
    NDArray a = w.a().forCompute();                                         // [r, in]
    NDArray b = w.b().forCompute();                                         // [out, r]
    if (w.magnitude() == null) {
      return addDelta(x, y, w, a, b);
    }
    NDArray delta = delta(x, w, a, b);                                      // [..., out]
    // DoRA: rescale W x + s B A x per output row by m / ||W + s B A||, the norm a constant (sec. 4.3)
    NDArray scale = DoraNorm.magnitudeScale(w.magnitude().forCompute(), baseWeight(x.getManager()), a, b, w.scaling()); // [out]
    NDArray bias = baseBias() == null ? null : baseBias().forCompute();
    NDArray wx = bias == null ? y : y.sub(bias);                            // [..., out]
    NDArray out = wx.add(delta).mul(scale);
    return bias == null ? out : out.add(bias);
  }

  /** The base layer's map with a given weight (its bias unchanged). */
  private NDArray linear(NDArray x, NDArray weight) {
    return baseBias() == null
        ? Linear.linear(x, weight).singletonOrThrow()
        : Linear.linear(x, weight, baseBias().forCompute()).singletonOrThrow();
  }

  /** Folds {@code adapter} into the base weight; the original is kept for {@link #unmerge}. */
  void merge(String adapter) {
    if (mergedAdapter != null) {
      throw new IllegalStateException("adapter '" + mergedAdapter + "' is already merged");
    }
    LoraWeights w = adapters.get(adapter);
    if (w == null) {
      return;
    }
    if (base instanceof Nf4Linear q) {
      // a 4-bit base cannot hold W + s B A: dequantise to float32, merge there, keep the NF4 layer
      NDManager owner = w.a().data().getManager();
      NDArray deq;
      try (NDManager scratch = owner.newSubManager()) {
        deq = q.dequantize(scratch).duplicate();
        deq.attach(owner);
      }
      NDArray merged = DoraNorm.mergedWeight(deq, w);
      merged.attach(owner);
      deq.close();
      dev.align4j.peft.model.Parameter p = new dev.align4j.peft.model.Parameter(
          w.a().name().replaceFirst("\\.lora_A\\..*", ".weight").replace(PeftModel.PREFIX, ""), merged,
          w.a().precision());
      quantizedBase = q;
      base = new DenseLinear(p, q.bias());
      mergedAdapter = adapter;
      return;
    }
    DenseLinear dense = (DenseLinear) base;
    NDArray weight = dense.weight().data();
    NDManager owner = weight.getManager();
    NDArray merged = DoraNorm.mergedWeight(weight, w);
    merged.attach(owner);
    unmergedWeight = weight.duplicate();
    unmergedWeight.attach(owner);
    dense.weight().replace(merged);
    mergedAdapter = adapter;
  }

  /** Restores the exact original base weight. */
  void unmerge() {
    if (mergedAdapter == null) {
      return;
    }
    if (quantizedBase != null) {
      ((DenseLinear) base).weight().data().close();
      base = quantizedBase;
      quantizedBase = null;
      mergedAdapter = null;
      return;
    }
    ((DenseLinear) base).weight().replace(unmergedWeight);
    unmergedWeight = null;
    mergedAdapter = null;
  }

  /** Whether the (merged) base came from a 4-bit layer, now float32. */
  public boolean mergedFromNf4() {
    return quantizedBase != null;
  }

  /** The adapter merged into the base, or null. */
  public String mergedAdapter() {
    return mergedAdapter;
  }

  @Override
  public long inFeatures() {
    return base.inFeatures();
  }

  @Override
  public long outFeatures() {
    return base.outFeatures();
  }
}
