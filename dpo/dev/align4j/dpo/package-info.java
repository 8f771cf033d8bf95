/**
 * Direct preference optimisation and its relatives (IPO, cDPO, ORPO, SimPO, KTO) from preference pairs (to come).
 */
package dev.align4j.dpo;
