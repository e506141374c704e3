package io.mdocker.internal.security;

import io.mdocker.ContainerException;
import io.mdocker.internal.AtExit;
import io.mdocker.internal.BackgroundCleanup;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.cgroup.ContainerCgroups;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The container's cgroup in the cgroup v1 {@code devices} hierarchy: everything denied, then
 * Docker's default allow-list (creating any node, using the safe character devices, the
 * container's ptys and /dev/net/tun), so a block device made with mknod, or any host device that
 * reaches the container, cannot be opened.
 *
 * <p>The cgroup is {@code <devices mount>/mdocker/<id>}: made when the container is prepared,
 * joined by pid 1 at {@link #attach} (before GO, so before anything of the user's runs), removed
 * at {@link #close}. The rules are written once, on the {@code mdocker} parent, which the kernel
 * copies into each child at mkdir; each child's list is checked all the same (a parent made
 * concurrently by another JVM may not have them yet), and written on the child where it differs.
 * The parent goes when the JVM exits, or with {@code gc}. This is the security side of the
 * devices controller only; the cgroup manager may take it over, it needs nothing but
 * {@link #RULES} and the order deny-all, allow each.
 *
 * <p>A container with rules of its own ({@link DeviceRules}: an OCI bundle's
 * linux.resources.devices, a {@code device(...)} or {@code deviceCgroupRule(...)}) gets
 * {@code <devices mount>/mdocker-rules/<id>} instead, with its rules written on it
 * ({@link #create(String, DeviceRules)}); one whose rules allow every device gets none.
 *
 * <p>On a cgroup v2-only host there is no devices controller ({@link #mountPoint()} is empty):
 * there mdocker-init loads a BPF_PROG_TYPE_CGROUP_DEVICE program with the same {@link #RULES}
 * (devices.c, attach_device_filter), or the one {@link DeviceRules#bpfProgram} made for other
 * rules (CONFIG record DEVPROG), and attaches it to the container's v2 cgroup, which the engine
 * names in the CONFIG record DEVCGROUP.
 */
public final class DevicesCgroupV1 implements HostResource {
    /** Docker's (runc's) default device rules: type major:minor access. */
    public static final List<String> RULES = DeviceRules.DEFAULT_ALLOWED_TEXT;

    /** The parent of the devices cgroups of containers with rules other than the default ones. */
    public static final String CUSTOM_PARENT = "mdocker-rules";

    private static final Optional<Path> MOUNT = findMount();
    private static final Object PARENT_LOCK = new Object();
    private static boolean parentReady; // guarded by PARENT_LOCK
    private static boolean exitHook; // the removal at this JVM's exit is registered; guarded by PARENT_LOCK

    private final Path dir;
    private boolean attached;

    private DevicesCgroupV1(Path dir) {
        this.dir = dir;
    }

    /** The devices cgroup {@link #create} makes for container {@code containerId}, where the host has the hierarchy. */
    public static Optional<Path> plannedPath(String containerId) {
        return MOUNT.map(m -> m.resolve("mdocker").resolve(containerId));
    }

    /** The container's view of the v1 devices hierarchy (/sys/fs/cgroup/devices), if the host has one. */
    public static Optional<ContainerCgroups.Mount> containerMount() {
        return MOUNT.map(m -> ContainerCgroups.Mount.of(m, "devices"));
    }

    /** Where the v1 devices hierarchy is mounted, if it is. */
    public static Optional<Path> mountPoint() {
        return MOUNT;
    }

    /**
     * The devices cgroup {@link #create(String, DeviceRules)} makes for a container with these rules:
     * under {@code mdocker} for the default rules, under {@value #CUSTOM_PARENT} for others, none for
     * allow-all or where the host has no v1 devices hierarchy.
     */
    public static Optional<Path> plannedPath(String containerId, DeviceRules rules) {
        if (rules.allowsAll()) {
            return Optional.empty();
        }
        return MOUNT.map(m -> m.resolve(rules.isDefault() ? "mdocker" : CUSTOM_PARENT).resolve(containerId));
    }

    /**
     * Creates the container's devices cgroup with {@code rules} ({@link DeviceRules#v1Writes}), or
     * returns empty where they allow every device or the host has no v1 devices hierarchy. The
     * default rules go the way of {@link #create(String)}; others need a parent that allows what
     * they allow (a child never gets more than its parent), so their cgroups are children of
     * {@value #CUSTOM_PARENT}, which keeps the hierarchy root's rules and is removed with its last child.
     */
    public static Optional<DevicesCgroupV1> create(String containerId, DeviceRules rules) {
        if (rules.isDefault()) {
            return create(containerId);
        }
        Optional<Path> planned = plannedPath(containerId, rules);
        if (planned.isEmpty()) {
            return Optional.empty();
        }
        Path dir = planned.get();
        makeDirectory(dir, () -> makeParent(dir.getParent()), () -> { });
        DevicesCgroupV1 cg = new DevicesCgroupV1(dir);
        try {
            for (DeviceRules.Write w : rules.v1Writes()) {
                cg.write(w.file(), w.value());
            }
            return Optional.of(cg);
        } catch (RuntimeException e) {
            cg.close();
            throw e;
        }
    }

    /**
     * Creates the container's devices cgroup with the default rules, or returns empty where the
     * host has no v1 devices hierarchy.
     */
    public static Optional<DevicesCgroupV1> create(String containerId) {
        if (MOUNT.isEmpty()) {
            return Optional.empty();
        }
        Path dir = plannedPath(containerId).orElseThrow();
        makeDirectory(dir, () -> prepareParent(dir.getParent()), () -> {
            synchronized (PARENT_LOCK) {
                parentReady = false; // removed by gc or another JVM's exit: make it again
            }
        });
        DevicesCgroupV1 cg = new DevicesCgroupV1(dir);
        try {
            if (!cg.hasRules()) {
                cg.writeRules();
            }
            return Optional.of(cg);
        } catch (RuntimeException e) {
            cg.close();
            throw e;
        }
    }

    /** Something done before each attempt that may fail with an I/O error. */
    private interface Preparation {
        void run() throws IOException;
    }

    /**
     * Makes the container's cgroup {@code dir} after {@code prepare} (its parent); when the parent
     * vanishes meanwhile (removed with its last child by another container's close, gc or another
     * JVM's exit), runs {@code parentGone} and tries again, three times at most.
     */
    private static void makeDirectory(Path dir, Preparation prepare, Runnable parentGone) {
        for (int attempt = 0; ; attempt++) {
            try {
                prepare.run();
                Files.createDirectory(dir);
                return;
            } catch (NoSuchFileException e) {
                parentGone.run();
                if (attempt >= 3) {
                    throw new ContainerException("mkdir " + dir + ": " + e.getMessage(), e);
                }
            } catch (IOException e) {
                throw new ContainerException("mkdir " + dir + " (the container's devices cgroup): " + describe(e), e);
            }
        }
    }

    /**
     * Makes the custom rules' parent where it is missing. Not {@code Files.createDirectories}: that
     * reports an existing directory removed in between (by its last child's close in another JVM)
     * as FileAlreadyExistsException; here the child's mkdir finds it gone and the loop tries again.
     */
    private static void makeParent(Path parent) throws IOException {
        try {
            Files.createDirectory(parent);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // made by another container of this or another JVM
        }
    }

    /** Once per JVM: the parent, with the rules its children inherit (best effort: children are checked). */
    private static void prepareParent(Path parent) throws IOException {
        synchronized (PARENT_LOCK) {
            if (parentReady) {
                return;
            }
            boolean made = false;
            try {
                Files.createDirectory(parent);
                made = true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another JVM's, or ours from before
            }
            DevicesCgroupV1 p = new DevicesCgroupV1(parent);
            if (made || !p.hasRules()) {
                try {
                    p.writeRules();
                } catch (ContainerException e) {
                    // children exist (the kernel refuses a new default then): each child gets its own rules
                }
            }
            if (!exitHook) { // whoever made it: the last JVM to use it removes it (rmdir fails while children remain)
                exitHook = true;
                // (False when this JVM is already exiting: the parent stays until the exit of the next JVM that uses it.)
                AtExit.register(AtExit.Stage.SHARED, () -> {
                    BackgroundCleanup.awaitIdle(); // the containers whose run() returned go first
                    removeQuietly(parent);
                });
            }
            parentReady = true;
        }
    }

    private boolean hasRules() {
        try {
            return new java.util.HashSet<>(Files.readAllLines(dir.resolve("devices.list"))).equals(new java.util.HashSet<>(RULES));
        } catch (IOException e) {
            return false;
        }
    }

    private void writeRules() {
        write("devices.deny", "a");
        for (String rule : RULES) {
            write("devices.allow", rule);
        }
    }

    /** Removes the devices cgroup a container of a dead JVM left (its processes are gone). */
    public static void removeLeftover(String containerId) {
        MOUNT.ifPresent(m -> {
            removeQuietly(m.resolve("mdocker").resolve(containerId));
            removeQuietly(m.resolve("mdocker"));
            removeQuietly(m.resolve(CUSTOM_PARENT).resolve(containerId));
            removeQuietly(m.resolve(CUSTOM_PARENT));
        });
    }

    /** The cgroup's directory. */
    public Path path() {
        return dir;
    }

    @Override
    public void attach(int pid) {
        write("cgroup.procs", Integer.toString(pid));
        attached = true;
    }

    @Override
    public void close() {
        removeQuietly(dir); // the default rules' parent stays for the JVM's next containers
        if (dir.getParent().getFileName().toString().equals(CUSTOM_PARENT)) {
            removeQuietly(dir.getParent()); // where it is the last child
        }
    }

    private static void removeQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
            // the parent of other containers' cgroups, or the kernel still counts a dying task
        } catch (IOException e) {
            // EBUSY: a process is still inside; the runtime's gc removes it later
        }
    }

    private void write(String file, String value) {
        Path p = dir.resolve(file);
        try {
            Files.write(p, value.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new ContainerException("write '" + value + "' to " + p + ": " + describe(e)
                    + (attached ? "" : " (the container's device rules)"), e);
        }
    }

    private static String describe(IOException e) {
        return e instanceof FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
    }

    private static Optional<Path> findMount() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                // id parent major:minor root mountpoint options ... - fstype source superoptions
                String[] halves = line.split(" - ", 2);
                if (halves.length < 2) {
                    continue;
                }
                String[] after = halves[1].split(" ");
                String[] before = halves[0].split(" ");
                if (after[0].equals("cgroup") && after.length > 2
                        && List.of(after[2].split(",")).contains("devices") && before[3].equals("/")) {
                    return Optional.of(Path.of(before[4].replace("\\040", " ")));
                }
            }
        } catch (IOException e) {
            // no /proc: no devices hierarchy we could use
        }
        return Optional.empty();
    }
}
