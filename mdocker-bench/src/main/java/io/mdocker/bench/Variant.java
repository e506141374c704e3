package io.mdocker.bench;

/**
 * A named way of doing the same work: an mdocker configuration or another runtime.
 *
 * @param name as the report shows it
 * @param work one container from start to exit
 */
public record Variant(String name, Work work) {}
