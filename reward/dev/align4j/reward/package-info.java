/**
 * Reward modelling: {@link dev.align4j.reward.RewardModel} (a decoder and a {@code score} head read at
 * the last non-pad token, loaded from and saved as transformers' {@code AutoModelForSequenceClassification}
 * or a PEFT {@code SEQ_CLS} adapter), the pairwise {@link dev.align4j.reward.BradleyTerry} loss and the
 * engine objective {@link dev.align4j.reward.RewardObjective} over {@link dev.align4j.reward.RewardPair}s,
 * and the reward statistics PPO normalises with ({@link dev.align4j.reward.RewardStats}).
 */
package dev.align4j.reward;
