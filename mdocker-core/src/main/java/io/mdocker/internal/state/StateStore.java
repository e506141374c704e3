package io.mdocker.internal.state;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.cgroup.CgroupException;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.MonitorCgroups;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.fs.LayerLimit;
import io.mdocker.internal.fs.PropertiesFiles;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where containers record themselves so that nothing outlives a JVM killed with SIGKILL.
 *
 * <pre>
 * &lt;run root&gt;/containers/&lt;id&gt;/lock    held (fcntl lock) by the owning JVM while the container lives
 * &lt;run root&gt;/containers/&lt;id&gt;/state   id, owner pid, lib dir, command, and the pid and start
 *                                       time of its mdocker-init
 *                                       and what exec needs ({@link ExecRecord}, keys exec.*)
 * &lt;run root&gt;/exec-identities/&lt;sha256&gt;  the identity records the states name ({@link ExecIdentities})
 * &lt;lib root&gt;/containers/&lt;id&gt;/        upper, work, merged, layer ({@link ContainerDirs})
 * </pre>
 *
 * An entry is made under a temporary name and renamed into place with its lock held, so another
 * runtime never sees an entry without its lock. A lock that can be taken means the owner is dead:
 * {@link #recover()} kills its monitor (if that very process still runs) and removes the entry
 * and its directories. Detached containers are the exception: their starting JVM hands the entry
 * over once the command runs ({@link Entry#handOver()}), after which the lock only serialises
 * release and removal, and the monitor's life is the container's ({@link ContainerRecord}):
 * recovery leaves a running one alone, and of an exited one releases only the cgroups and
 * network, keeping it (logs, writable layer, exit code) until {@link #remove}. Entries are created before and removed after their lib directories, so a
 * lib directory without an entry is garbage (a dead owner mid-cleanup, or a reboot that emptied
 * the run root).
 */
public final class StateStore {
    private static final String TMP_PREFIX = ".new-";
    private static final Duration TMP_GRACE = Duration.ofMinutes(1);
    /**
     * Entries this JVM holds. Recovery must not even open their lock files: fcntl locks belong to
     * the process, and closing any descriptor of a file drops all of them, so probing our own
     * entry would silently unlock it for every other JVM.
     */
    private static final Set<Path> OWNED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Release and removal of detached records, one at a time in this JVM (their fcntl locks are the process's). */
    private static final Object ADMIN = new Object();

    private final Path libRoot;
    private final Path runRoot;
    private final Path runContainers;
    private final Path libContainers;
    private final ContainerNames names;

    public StateStore(Path libRoot, Path runRoot) {
        this.libRoot = libRoot;
        this.libContainers = libRoot.resolve("containers");
        this.runRoot = runRoot;
        this.runContainers = runRoot.resolve("containers");
        this.names = new ContainerNames(runRoot, runContainers, TMP_PREFIX);
    }

    /** Whether {@code name} is a container name as Docker's (a letter or digit, then letters, digits, '_', '.', '-'). */
    public static boolean validName(String name) {
        return name != null && name.length() <= 255 && ContainerNames.VALID.matcher(name).matches();
    }

    /** The id of the container that holds {@code name} on this run root, or null. */
    public String nameHolder(String name) {
        return names.holder(name);
    }

    /** A name another container on the same run root holds. */
    public static final class NameInUseException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String holder;

        NameInUseException(String name, String holder) {
            super(message(name, holder));
            this.holder = holder;
        }

        /** The one line for {@code name} held by container {@code holder}. */
        public static String message(String name, String holder) {
            return "the container name " + name + " is already in use by container " + holder.substring(0, 12)
                    + ": remove that container or choose another name";
        }

        /** The id of the container that holds the name. */
        public String holder() {
            return holder;
        }
    }

    /** The lib root: writable layers and leases. */
    public Path libRoot() {
        return libRoot;
    }

    /** The run root: records, locks and names. */
    public Path runRoot() {
        return runRoot;
    }

    public Path libContainers() {
        return libContainers;
    }

    public Path runContainers() {
        return runContainers;
    }

    /** A container's state file, 0600 (it holds the environment, secrets included), written in one piece. */
    private static void writeState(Path file, Map<String, String> values, StandardOpenOption... create) throws IOException {
        Set<StandardOpenOption> options = new HashSet<>(List.of(create));
        options.add(StandardOpenOption.WRITE);
        ByteBuffer bytes = ByteBuffer.wrap(PropertiesFiles.format("mdocker container state", values));
        try (var ch = Files.newByteChannel(file, options, StateRoots.privateFile())) {
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
        }
    }

    /**
     * Records a new container, served by the mdocker-init with pid {@code monitorPid}, and
     * creates its directories; the entry holds the lock until closed.
     */
    public Entry create(String id, Map<String, String> info, int monitorPid) {
        Path tmp = runContainers.resolve(TMP_PREFIX + id);
        Path dir = runContainers.resolve(id);
        FileChannel lockChannel = null;
        try {
            var privateDir = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            try {
                Files.createDirectory(tmp, privateDir);
            } catch (NoSuchFileException e) { // the first container on these roots
                Files.createDirectories(runContainers, privateDir);
                Files.createDirectory(tmp, privateDir);
            }
            lockChannel = FileChannel.open(tmp.resolve("lock"), Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), StateRoots.privateFile());
            FileLock lock = lockChannel.lock();
            Map<String, String> p = new LinkedHashMap<>(info);
            p.put("id", id);
            p.put("ownerPid", Long.toString(ProcessHandle.current().pid()));
            p.put("created", Instant.now().toString());
            p.put("libDir", libContainers.resolve(id).toString());
            p.put("monitorPid", Integer.toString(monitorPid));
            p.put("monitorStartTime", Long.toString(ProcStat.startTime(monitorPid)));
            // 0600: the state holds the container's environment, secrets included
            writeState(tmp.resolve("state"), p, StandardOpenOption.CREATE_NEW);
            String name = info.get(ContainerRecord.NAME);
            if (name != null) { // held from now on: the temporary entry counts as its container
                String holder = names.claim(name, id);
                if (holder != null) {
                    closeQuietly(lockChannel);
                    ContainerDirs.deleteTree(tmp);
                    throw new NameInUseException(name, holder);
                }
            }
            OWNED.add(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            Entry entry = new Entry(id, dir, lockChannel, lock, name);
            try {
                entry.dirs = ContainerDirs.create(libContainers, id);
            } catch (RuntimeException e) {
                entry.close();
                throw e;
            }
            return entry;
        } catch (IOException e) {
            OWNED.remove(dir);
            closeQuietly(lockChannel);
            String name = info.get(ContainerRecord.NAME);
            if (name != null) {
                names.release(name, id);
            }
            ContainerDirs.deleteTree(tmp);
            throw new UncheckedIOException("creating container state in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** One container's record, owned by this JVM. */
    public final class Entry implements AutoCloseable {
        private final String id;
        private final Path dir;
        private final FileChannel lockChannel;
        private final FileLock lock;
        private final String name;
        private ContainerDirs dirs;
        private boolean closed;

        private Entry(String id, Path dir, FileChannel lockChannel, FileLock lock, String name) {
            this.id = id;
            this.dir = dir;
            this.lockChannel = lockChannel;
            this.lock = lock;
            this.name = name;
        }

        public String id() {
            return id;
        }

        public ContainerDirs dirs() {
            return dirs;
        }

        /** The entry's directory under the run root (small files of the container's own go here). */
        public Path dir() {
            return dir;
        }

        /** Detached containers: where the monitor records pid 1's exit status. */
        public Path exitFile() {
            return dir.resolve(ContainerRecord.EXIT_FILE);
        }

        /** Detached containers: the container's stdout, beside its writable layer. */
        public Path stdoutLog() {
            return dirs.root().resolve(ContainerRecord.STDOUT_LOG);
        }

        /** Detached containers: the container's stderr. */
        public Path stderrLog() {
            return dirs.root().resolve(ContainerRecord.STDERR_LOG);
        }

        /**
         * Detached containers: records that the command runs (with pid 1's host pid), so that a
         * record whose monitor is gone counts as an exited container rather than a failed start.
         */
        public void markStarted(int pid) {
            Path f = dir.resolve(ContainerRecord.STARTED_FILE);
            try {
                Files.writeString(f, pid + "\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + f + ": " + e.getMessage(), e);
            }
        }

        /**
         * Rewrites the record with {@code values} set and the keys starting with
         * {@code droppedPrefix} removed first: a new file renamed over the old one, so that a
         * reader (another process's list(), ps, exec) sees either record whole. Nothing once the
         * entry is closed (the container is gone).
         */
        public synchronized void update(Map<String, String> values, String droppedPrefix) {
            if (closed) {
                return;
            }
            Path file = dir.resolve(ContainerRecord.STATE_FILE);
            Path next = dir.resolve(ContainerRecord.STATE_FILE + ".new");
            Map<String, String> p = new LinkedHashMap<>(PropertiesFiles.read(file));
            p.keySet().removeIf(k -> k.startsWith(droppedPrefix));
            p.putAll(values);
            try {
                writeState(next, p, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
                Files.move(next, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(next);
                } catch (IOException ignored) {
                    // the entry's removal walks the directory
                }
                throw new UncheckedIOException("rewriting " + file + ": " + e.getMessage(), e);
            }
        }

        /**
         * Detached containers: gives the record up, keeping its files. From now on the container's
         * monitor says whether it lives, and whoever finds it exited releases its resources.
         */
        public synchronized void handOver() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                lock.release();
            } catch (IOException ignored) {
                // closing the channel releases it too
            }
            closeQuietly(lockChannel);
            OWNED.remove(dir);
        }

        /** Removes the directories, then the entry, then releases the lock. */
        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (dirs != null) {
                    dirs.delete();
                }
                if (name != null) {
                    names.release(name, id);
                }
                deleteEntry(dir);
            } finally {
                try {
                    lock.release();
                } catch (IOException ignored) {
                    // closing the channel releases it too
                }
                closeQuietly(lockChannel);
                OWNED.remove(dir);
            }
        }
    }

    /** Removes an entry's files by name (the usual case), or walks it when it holds others. */
    private static void deleteEntry(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve("state"));
            Files.deleteIfExists(dir.resolve("lock"));
            Files.delete(dir);
        } catch (IOException e) {
            ContainerDirs.deleteTree(dir);
        }
    }

    /** The records under the run root (entries being made or removed are left out). */
    public List<ContainerRecord> records() {
        List<ContainerRecord> out = new ArrayList<>();
        for (Path entry : list(runContainers)) {
            if (!entry.getFileName().toString().startsWith(TMP_PREFIX)) {
                ContainerRecord r = ContainerRecord.read(entry, libContainers);
                if (r != null) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /**
     * The records whose id starts with {@code prefix}: only the entries' names are listed, and
     * only the records that match are read, however many containers there are.
     */
    public List<ContainerRecord> recordsStartingWith(String prefix) {
        List<ContainerRecord> out = new ArrayList<>();
        for (Path entry : list(runContainers)) {
            String name = entry.getFileName().toString();
            if (name.startsWith(prefix) && !name.startsWith(TMP_PREFIX)) {
                ContainerRecord r = ContainerRecord.read(entry, libContainers);
                if (r != null) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    /** The record of container {@code id} (a full id), or null. */
    public ContainerRecord record(String id) {
        return ContainerRecord.read(runContainers.resolve(id), libContainers);
    }

    /**
     * Releases the cgroups and network of a detached container that has exited, once, under the
     * record's lock; a record another process holds is left to it. Returns whether it is done.
     */
    public boolean releaseIfExited(ContainerRecord record) {
        if (record.released()) {
            return true;
        }
        return withLock(record, () -> {
            if (!record.running()) {
                releaseResources(record);
            }
        });
    }

    /**
     * Removes an exited container's record and everything it has left: cgroups, network, writable
     * layer, logs. Waits for the record's lock (a starting JVM holds it until the container runs).
     */
    public void remove(ContainerRecord record) {
        if (record.running()) {
            throw new IllegalStateException("container " + record.id() + " is running");
        }
        withLock(record, () -> {
            releaseResources(record);
            removeLayer(record.dir(), record.id());
            releaseName(record.dir(), record.id());
            ContainerDirs.deleteTree(record.dir());
        });
    }

    /**
     * Runs {@code action} holding the record's lock, waiting for it: other processes hold it
     * briefly (a starting JVM until the command runs); the threads of this JVM take turns.
     * False when the record belongs to this JVM (an attached container: its handle removes it).
     */
    private boolean withLock(ContainerRecord record, Runnable action) {
        if (OWNED.contains(record.dir())) {
            return false;
        }
        synchronized (ADMIN) {
            return withFileLock(record, action);
        }
    }

    private static boolean withFileLock(ContainerRecord record, Runnable action) {
        try (FileChannel ch = FileChannel.open(record.dir().resolve("lock"), StandardOpenOption.WRITE)) {
            ch.lock();
            action.run();
            return true;
        } catch (NoSuchFileException e) {
            return true; // removed meanwhile
        } catch (OverlappingFileLockException e) {
            return false; // this JVM's recovery holds it at the moment
        } catch (IOException e) {
            throw new UncheckedIOException("locking " + record.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The cgroups, devices cgroup, veth pair and address lease of an exited container, then the
     * {@code released} mark; idempotent.
     */
    private void releaseResources(ContainerRecord record) {
        if (record.released()) {
            return;
        }
        ContainerNetwork.removeLeftovers(record.dir());
        if (!removeCgroups(record.dir())) {
            return; // tried again next time
        }
        DevicesCgroupV1.removeLeftover(record.id());
        MonitorCgroups.removeIfEmpty(CgroupLayout.host(), CgroupFs.REAL); // its monitor has exited
        try {
            Files.writeString(record.dir().resolve(ContainerRecord.RELEASED_FILE), "");
        } catch (IOException e) {
            // not marked: released again (idempotently) next time
        }
    }

    /**
     * What {@link #recover()} removed: entries (container ids), lib directories, monitors (pids)
     * and identity files (their SHA-256).
     */
    public record Recovered(List<String> entries, List<String> libDirs, List<Integer> killed, List<String> identities) {
        public boolean isEmpty() {
            return entries.isEmpty() && libDirs.isEmpty() && killed.isEmpty() && identities.isEmpty();
        }
    }

    /**
     * Removes what dead owners left: entries whose lock can be taken (their monitor is killed if
     * it still runs), stale temporary entries, lib directories that have no entry, and then the
     * exec identity files that no record names and nobody used for
     * {@link ExecIdentities#GRACE} (see there why a container being started meanwhile keeps its own).
     */
    public Recovered recover() {
        List<String> entries = new ArrayList<>();
        List<String> libDirs = new ArrayList<>();
        List<Integer> killed = new ArrayList<>();
        // Lib dirs first: one listed here whose entry is absent below was orphaned before we looked.
        List<Path> libs = list(libContainers);
        Set<String> known = new HashSet<>();
        for (Path entry : list(runContainers)) {
            String name = entry.getFileName().toString();
            if (name.startsWith(TMP_PREFIX)) {
                if (olderThan(entry, TMP_GRACE) && tryRemoveDead(entry, name.substring(TMP_PREFIX.length()), killed)) {
                    entries.add(name);
                }
                continue;
            }
            known.add(name);
            boolean removed;
            synchronized (ADMIN) { // not while another thread of this JVM releases or removes it
                removed = tryRemoveDead(entry, name, killed);
            }
            if (removed) {
                entries.add(name);
            }
        }
        for (Path lib : libs) {
            String name = lib.getFileName().toString();
            if (!known.contains(name) && !Files.exists(runContainers.resolve(name))
                    && !Files.exists(runContainers.resolve(TMP_PREFIX + name))) {
                ContainerDirs.deleteTree(lib);
                libDirs.add(name);
            }
        }
        names.pruneStale(); // the names of containers removed above went with them; these are older
        return new Recovered(entries, libDirs, killed, pruneExecIdentities());
    }

    /**
     * Removes a container's writable layer and logs, and the project quota limit its record names
     * (a layer with a storage size on a filesystem with project quotas), before the entry goes.
     */
    private void removeLayer(Path entry, String id) {
        ContainerDirs.deleteTree(libContainers.resolve(id));
        LayerLimit.releaseRecorded(ContainerRecord.readProperties(entry.resolve(ContainerRecord.STATE_FILE)), libContainers);
    }

    /** Gives up the name the state in {@code entry} records, if any (before the entry goes). */
    private void releaseName(Path entry, String id) {
        Map<String, String> state = ContainerRecord.readProperties(entry.resolve(ContainerRecord.STATE_FILE));
        String name = state == null ? null : state.get(ContainerRecord.NAME);
        if (name != null) {
            names.release(name, id);
        }
    }

    /** The identity files no record names and nobody used lately; returns their hashes. */
    private List<String> pruneExecIdentities() {
        Instant usedBefore = Instant.now().minus(ExecIdentities.GRACE); // taken before the records are read
        Set<String> named = new HashSet<>();
        for (ContainerRecord r : records()) {
            String hash = ExecRecord.identityName(r);
            if (hash != null) {
                named.add(hash);
            }
        }
        return ExecIdentities.prune(runRoot, named, usedBefore);
    }

    private boolean tryRemoveDead(Path entry, String id, List<Integer> killed) {
        if (OWNED.contains(runContainers.resolve(id))) {
            return false; // this JVM's: alive, and its lock file must not be opened (see OWNED)
        }
        Path lockFile = entry.resolve("lock");
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // this JVM owns it
            }
            if (lock == null) {
                return false; // a live JVM owns it
            }
            ContainerRecord record = ContainerRecord.read(entry, libContainers);
            if (record != null && record.detached() && (record.running() || record.started())) {
                // A detached container: alive while its monitor runs; once exited it stays listed
                // until removed, and only its cgroups and network are released now.
                if (!record.running()) {
                    releaseResources(record);
                }
                return false;
            }
            killMonitor(entry.resolve("state"), killed);
            ContainerNetwork.removeLeftovers(entry); // veth pair and address lease
            if (!removeCgroups(entry)) {
                return false; // kept for a later attempt
            }
            removeLayer(entry, id);
            releaseName(entry, id);
            ContainerDirs.deleteTree(entry);
            return true;
        } catch (NoSuchFileException e) {
            // no lock file: an entry removed concurrently, or a temporary one that died early
            if (olderThan(entry, TMP_GRACE) && removeCgroups(entry)) {
                removeLayer(entry, id);
                releaseName(entry, id);
                ContainerDirs.deleteTree(entry);
                return true;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("recovering " + entry + ": " + e.getMessage(), e);
        }
    }

    /**
     * Kills what is left in the cgroups the entry's state names and removes them; false when
     * that failed, so the entry stays for a later attempt rather than forgetting them.
     */
    private static boolean removeCgroups(Path entry) {
        Map<String, String> state = ContainerRecord.readProperties(entry.resolve(ContainerRecord.STATE_FILE));
        if (state == null) {
            return true;
        }
        try {
            ContainerCgroups.removeRecorded(state, CgroupFs.REAL);
            return true;
        } catch (CgroupException e) {
            System.getLogger(StateStore.class.getName()).log(System.Logger.Level.WARNING,
                    "recovering container " + entry.getFileName() + ": " + e.getMessage());
            return false;
        }
    }

    private static void killMonitor(Path stateFile, List<Integer> killed) {
        Map<String, String> p = ContainerRecord.readProperties(stateFile);
        if (p == null) {
            return;
        }
        String pidText = p.get("monitorPid");
        String startText = p.get("monitorStartTime");
        if (pidText == null || startText == null) {
            return;
        }
        int pid = Integer.parseInt(pidText);
        long start = Long.parseLong(startText);
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (ErrnoException e) {
            return; // gone
        }
        try {
            // The pidfd pins the process: if its start time matches now, it is the one recorded.
            if (ProcStat.startTimeOrMinus1(pid) == start && Posix.pidfdSendSignal(pidfd, Linux.SIGKILL())) {
                killed.add(pid);
            }
        } finally {
            Posix.closeQuietly(pidfd);
        }
    }

    /** The entries of {@code dir}; none when it does not exist (yet). */
    static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (NoSuchFileException e) {
            // nothing there yet
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static boolean olderThan(Path p, Duration age) {
        try {
            return Files.getLastModifiedTime(p).toInstant().isBefore(Instant.now().minus(age));
        } catch (IOException e) {
            return false;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

}
