package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.state.ContainerRecord;
import io.mdocker.internal.state.ExecRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A container known by its state record only, of any process on the same run root: a detached
 * container, or another JVM's. Holds no descriptor; every call reads the record.
 */
public record RecordTarget(ContainerRecord record) implements Target {
    @Override
    public String shortId() {
        return record.id().substring(0, 12);
    }

    @Override
    public boolean isRunning() {
        return record.running();
    }

    @Override
    public List<Path> cgroupDirs() {
        return ContainerCgroups.recordedDirs(record.state());
    }

    @Override
    public int stopSignal() {
        return record.stopSignal();
    }

    @Override
    public boolean signalPid1(int signal) {
        return record.signal(signal);
    }

    @Override
    public boolean awaitExit(Duration timeout) {
        return record.awaitExit(timeout);
    }

    @Override
    public ContainerFiles openRoot() {
        return record.openOfPid1(pid -> ContainerFiles.openRootOf(pid, shortId()));
    }

    @Override
    public Optional<ExecRecord> execRecord() {
        ExecRecord r = ExecRecord.of(record).orElseThrow(() -> new ContainerException("container " + shortId()
                + " cannot be exec'd into: its state record in " + record.dir() + " says nothing of exec"));
        return r.pid1Alive() ? Optional.of(r) : Optional.empty();
    }

    @Override
    public CgroupStats stats() {
        if (!isRunning()) {
            return CgroupStats.UNKNOWN;
        }
        try {
            return ContainerCgroups.statsOfRecorded(record.state(), CgroupFs.REAL);
        } catch (RuntimeException e) {
            if (isRunning()) {
                throw new ContainerException("reading the stats of container " + shortId() + ": " + e.getMessage(), e);
            }
            return CgroupStats.UNKNOWN; // it exited meanwhile and its cgroups went
        }
    }
}
