/**
 * Reinforcement learning from feedback: the mathematics of PPO, GRPO, RLOO and REINFORCE++ as small
 * pure functions over float64 host arrays ({@code [B, T]} per-token arrays with a boolean action
 * mask), each checked against OpenRLHF's or TRL's own code.
 *
 * <ul>
 *   <li>{@link dev.align4j.rl.kl}: KL estimators k1/k2/k3 and the fixed/adaptive KL controllers.
 *   <li>{@link dev.align4j.rl.reward}: reward functions, weighted combination, EOS penalty, clipping,
 *       normalisation, and the KL-shaped per-token reward.
 *   <li>{@link dev.align4j.rl.advantage}: GAE, reward-to-go, whitening, and the group estimators
 *       (GRPO, Dr. GRPO, RLOO, REINFORCE++ and its baseline variant).
 *   <li>{@link dev.align4j.rl.loss}: PPO policy and value losses, the GRPO loss with its aggregations,
 *       the RLOO sequence loss, entropy. Each returns the gradient of its sum with respect to the
 *       per-token input, which the training loop backpropagates with {@code (logp * g).sum()}.
 * </ul>
 */
package dev.align4j.rl;
