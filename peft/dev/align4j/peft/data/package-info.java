/**
 * Format-agnostic data plumbing: streaming JSON/JSONL records with file:line locations
 * ({@link dev.align4j.peft.data.JsonRecords}), atomic JSONL output ({@link dev.align4j.peft.data.JsonlWriter}),
 * PII scrubbing ({@link dev.align4j.peft.data.PiiScrubber}), MinHash/LSH deduplication
 * ({@link dev.align4j.peft.data.Deduplicator}) and seeded splits ({@link dev.align4j.peft.data.DataSplit}).
 */
package dev.align4j.peft.data;
