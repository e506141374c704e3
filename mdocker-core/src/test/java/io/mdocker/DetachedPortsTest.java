package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The published ports of detached containers ({@code docker run -d -p}): bound by the container's
 * monitor before anything else exists, served by it after the starting JVM is gone, released when
 * the container ends, however it ends. Traffic goes only to 127.0.0.1 and to the containers made
 * here, on the test bridge mdt21.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = DetachedPortsTest.BRIDGE, address = DetachedPortsTest.BRIDGE_ADDRESS)
class DetachedPortsTest {
    static final String BRIDGE = "mdt21";
    static final String BRIDGE_ADDRESS = "10.201.21.1/24";
    /** httpd on 80 ("hello HOSTNAME"), and on 81 an echo server (nc runs cat per connection). */
    static final String[] SERVERS = {"/bin/sh", "-c", "mkdir -p /www && echo hello $(hostname) > /www/index.html"
            + " && (nc -ll -p 81 -e /bin/cat &) ; exec httpd -f -p 80 -h /www"};
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final int MIB = 1 << 20;

    /** Every runtime a test used: swept of detached containers afterwards, whatever the outcome. */
    private static final DetachedRoots ROOTS = new DetachedRoots();

    @BeforeAll
    static void network() {
        NetFixtures.prerequisites();
    }

    /** Before the bridge is removed ({@link TestBridge} acts after the class's @AfterAll methods). */
    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    private static ContainerRuntime runtime(String name) {
        return ROOTS.runtime(name);
    }

    private static Container.Builder container(ContainerRuntime rt) {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).network(Network.bridge(BRIDGE, BRIDGE_ADDRESS));
    }

    @Test
    void servesItsPortsAfterItsJvmExitedUntilStopped() throws Exception {
        ContainerRuntime rt = runtime("ports-exit");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), rt.libRoot(), rt.runRoot(), 1,
                "detached:1", "publish", BRIDGE + "," + BRIDGE_ADDRESS, "exit");
        assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.process().exitValue()).as("the starting JVM exits normally").isZero();
        String id = child.ids().get(0);
        DetachedContainer d = rt.attach(id);
        Leftovers made = Leftovers.of(rt, id);
        int monitor = monitorPid(rt, id);
        int idleFds = fdCount(monitor); // before any connection: its own, and a listening socket per port

        assertThat(d.ports()).hasSize(2).allSatisfy(p -> {
            assertThat(p.hostIp()).isEqualTo("127.0.0.1");
            assertThat(p.hostPort()).isPositive();
        });
        assertThat(d.ports()).extracting(PortMapping::containerPort).containsExactly(80, 81);
        assertThat(rt.list()).singleElement().satisfies(i -> assertThat(i.ports()).isEqualTo(d.ports()));
        assertThat(d.host()).isEqualTo("127.0.0.1");
        int http = d.mappedPort(80);
        int echo = d.mappedPort(81);

        assertThat(NetFixtures.httpGet("127.0.0.1", http, PATIENCE)).isEqualTo("hello " + d.shortId() + "\n");
        awaitEcho(echo);

        // 16 requests and 4 transfers of 1 MiB each way at once, each checked byte for byte
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<String>> gets = new ArrayList<>();
            List<Future<Boolean>> echoes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long seed = i;
                echoes.add(pool.submit(() -> echoes(echo, randomBytes(MIB, seed))));
            }
            for (int i = 0; i < 16; i++) {
                gets.add(pool.submit(() -> NetFixtures.httpGet("127.0.0.1", http, PATIENCE)));
            }
            for (Future<String> g : gets) {
                assertThat(g.get(60, TimeUnit.SECONDS)).isEqualTo("hello " + d.shortId() + "\n");
            }
            for (Future<Boolean> e : echoes) {
                assertThat(e.get(60, TimeUnit.SECONDS)).as("1 MiB came back as sent").isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        awaitFdCount(monitor, idleFds); // every connection's two sockets closed in the monitor

        d.stop(Duration.ofSeconds(10));
        awaitEnded(monitor);
        assertFree(http);
        assertFree(echo);
        made.assertReleased();
        d.remove(false);
        made.assertGone();
    }

    @Test
    void aPortInUseIsAOneLineErrorBeforeAnythingIsCreatedAndTheOtherPortsAreReleased() throws Exception {
        ContainerRuntime rt = runtime("ports-in-use");
        int first = freePort();
        var cgroupsBefore = Leftovers.containerCgroups();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int busy = taken.getLocalPort();
            Container spec = container(rt).publish("127.0.0.1", first, 80).publish("127.0.0.1", busy, 81).build();
            assertThatThrownBy(() -> spec.startDetached(SERVERS))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot publish host port 127.0.0.1:" + busy + " (for container port 81): "
                            + "Address already in use: expected a free port (0 picks one)");
        }
        assertThat(rt.list()).as("containers on the roots").isEmpty();
        Path records = rt.runRoot().resolve("containers");
        assertThat(Files.exists(records) ? Fixtures.list(records) : List.of()).as("state records").isEmpty();
        assertThat(Leftovers.containerCgroups()).as("container cgroups").isEqualTo(cgroupsBefore);
        assertFree(first); // bound by the monitor before the second failed, closed as it exited
    }

    @Test
    void aContainerStartedHereServesAndItsEndReleasesThePortsAlsoWhenItsMonitorIsKilled() throws Exception {
        ContainerRuntime rt = runtime("ports-here");
        DetachedContainer d = container(rt).publish("127.0.0.1", 0, 80).startDetached(SERVERS);
        Leftovers made = Leftovers.of(rt, d.id());
        int http = d.mappedPort(80);
        assertThat(NetFixtures.httpGet("127.0.0.1", http, PATIENCE)).isEqualTo("hello " + d.shortId() + "\n");

        int monitor = monitorPid(rt, d.id());
        assertThat(io.mdocker.internal.sys.Posix.kill(monitor, 9)).isTrue(); // SIGKILL: pid 1 dies with it
        assertThat(d.waitFor(Duration.ofSeconds(10))).isTrue();
        assertFree(http);
        made.assertReleased();
        d.remove(false);
        made.assertGone();

        // a command that ends by itself: its monitor exits with it, and so do the ports
        DetachedContainer brief = container(rt).publish("127.0.0.1", 0, 80).startDetached("/bin/sleep", "1");
        Leftovers briefMade = Leftovers.of(rt, brief.id());
        int port = brief.mappedPort(80);
        assertThat(brief.waitFor()).isZero();
        assertFree(port);
        briefMade.assertReleased();
        brief.remove(false);
        briefMade.assertGone();
    }

    private static int monitorPid(ContainerRuntime rt, String id) throws IOException {
        Properties state = new Properties();
        try (var in = Files.newBufferedReader(rt.runRoot().resolve("containers").resolve(id).resolve("state"))) {
            state.load(in);
        }
        return Integer.parseInt(state.getProperty("monitorPid"));
    }

    /**
     * The monitor has exited: gone, or a zombie (its parent, the starting JVM, is gone, and
     * whoever adopted it reaps it in its own time), which holds no descriptor.
     */
    private static void awaitEnded(int pid) throws InterruptedException {
        Path stat = Path.of("/proc", Integer.toString(pid), "stat");
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (running(stat) && System.nanoTime() < deadline) {
            Thread.sleep(20); // it writes the exit file, then exits
        }
        assertThat(running(stat)).as("the monitor " + pid + " after the container's end").isFalse();
    }

    private static boolean running(Path stat) {
        try {
            String s = Files.readString(stat);
            return s.charAt(s.lastIndexOf(')') + 2) != 'Z';
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int fdCount(int pid) {
        try (var s = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
            return (int) s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitFdCount(int pid, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (fdCount(pid) != expected && System.nanoTime() < deadline) {
            Thread.sleep(20); // the monitor closes a connection as its last event arrives
        }
        assertThat(fdCount(pid)).as("descriptors of the monitor once its connections ended").isEqualTo(expected);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Nobody listens on 127.0.0.1:port any more: this process can bind it. */
    private static void assertFree(int port) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Waits until the echo server answers (nc starts in the background of the container's shell). */
    private static void awaitEcho(int port) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                if (echoes(port, new byte[] {1, 2, 3})) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet: the proxy closes the client's connection
            }
            assertThat(System.nanoTime()).as("the echo server answers within " + PATIENCE).isLessThan(deadline);
            Thread.sleep(20); // a user process starting up: no descriptor to wait on
        }
    }

    /** Sends {@code data}, half-closes, and reads until end of stream: whether the same bytes came back. */
    private static boolean echoes(int port, byte[] data) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            s.setSoTimeout(30_000);
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] back = in.readAllBytes();
            sent.join();
            return java.util.Arrays.equals(back, data);
        }
    }
}
