package dev.align4j.peft.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class DataSplitTest {
  @Test
  void exactSizeDeterministicAndSeedDependent() {
    BitSet a = DataSplit.validationPositions(1000, 100, 42);
    BitSet b = DataSplit.validationPositions(1000, 100, 42);
    BitSet c = DataSplit.validationPositions(1000, 100, 43);
    assertThat(a.cardinality()).isEqualTo(100);
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
    assertThat(a.nextSetBit(0)).isGreaterThanOrEqualTo(0);
    assertThat(a.length()).isLessThanOrEqualTo(1000);
    // spread over the file rather than a prefix: both halves get a fair share
    assertThat(a.get(0, 500).cardinality()).isBetween(30, 70);
  }

  @Test
  void ratioRounding() {
    assertThat(DataSplit.valSizeForRatio(1000, 0.1)).isEqualTo(100);
    assertThat(DataSplit.valSizeForRatio(10, 0.01)).isEqualTo(1);   // never silently empty
    assertThat(DataSplit.valSizeForRatio(10, 0.99)).isEqualTo(9);   // train keeps one
    assertThat(DataSplit.valSizeForRatio(10, 0.0)).isZero();
    assertThat(DataSplit.valSizeForRatio(10, 1.0)).isEqualTo(10);
    assertThat(DataSplit.valSizeForRatio(0, 0.5)).isZero();
    assertThatThrownBy(() -> DataSplit.valSizeForRatio(10, 1.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataSplit.validationPositions(5, 6, 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
