package dev.align4j.peft.adapter;

/**
 * A scope that changes which adapters a forward uses ({@code disabled()}, {@code use(name...)}) and
 * restores the previous choice on close. Closing twice is harmless; close throws no checked
 * exception, so try-with-resources needs no catch.
 */
public interface AdapterScope extends AutoCloseable {
  @Override
  void close();
}
