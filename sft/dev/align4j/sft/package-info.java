/**
 * Supervised fine-tuning: instruction data formats, loss masks, packing and the SFT trainer (to come).
 */
package dev.align4j.sft;
