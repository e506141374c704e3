package io.mdocker.bench;

/** One unit of measured work: a container (or a process) started and waited for. */
@FunctionalInterface
public interface Work {
    void run() throws Exception;
}
