/**
 * Reinforcement learning from a reward model: PPO with a KL penalty against the adapter-disabled reference (to come).
 */
package dev.align4j.rl;
