/**
 * Preference data shared by the reward stage and the DPO/KTO stage: pairs ({@code prompt},
 * {@code chosen}, {@code rejected}, optional {@code margin}) and unpaired KTO examples ({@code prompt},
 * {@code completion}, {@code label}), as plain text or as conversations, with TRL's implicit-prompt
 * extraction and unpairing, LLaMA-Factory's {@code ranking} datasets, the content checks (identical or
 * empty sides, over-long sequences) with a drop/truncate policy and a printable report, and the
 * tokenisation TRL 1.13's RewardTrainer, DPOTrainer and KTOTrainer apply.
 */
package dev.align4j.peft.data.preference;
