/** Synthetic demo tasks for end-to-end SFT runs on tiny models. */
package dev.align4j.sft.demo;
