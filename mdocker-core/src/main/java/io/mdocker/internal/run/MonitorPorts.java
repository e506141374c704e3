package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.net.Ipv4;
import io.mdocker.internal.net.PortProxy;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.sys.Errno;

import java.util.ArrayList;
import java.util.List;

/**
 * The published ports of a detached container, bound and served by its mdocker-init monitor
 * (protocol.h, PUBLISH), which outlives this JVM as the container does; an attached container's
 * are served by this JVM ({@link PortProxy}). The monitor binds them as the first thing asked of
 * it, before anything of the container exists, so a port in use is the same one-line error as
 * {@link PortProxy#bind}'s.
 */
public final class MonitorPorts {
    private MonitorPorts() {}

    /**
     * sync 1a: sends PUBLISH to the monitor {@code init} and returns the ports as it bound them.
     *
     * @throws IllegalArgumentException when a port cannot be bound (the monitor then exits)
     * @throws ContainerException when the monitor fails otherwise
     */
    public static List<PortProxy.Bound> bind(InitProcess init, List<PortProxy.Spec> ports, long timeoutMillis) {
        List<byte[]> addresses = new ArrayList<>();
        int[] hostPorts = new int[ports.size()];
        int[] containerPorts = new int[ports.size()];
        for (int i = 0; i < ports.size(); i++) {
            PortProxy.Spec s = ports.get(i);
            addresses.add(s.hostIp() == null ? new byte[4]
                    : Ipv4.bytes(Ipv4.parseAddress(s.hostIp(), s.hostIp(), "published host address")));
            hostPorts[i] = s.hostPort();
            containerPorts[i] = s.containerPort();
        }
        if (!init.send(Protocol.publish(addresses, hostPorts, containerPorts))) {
            throw new ContainerException("mdocker-init exited before binding the published ports");
        }
        Protocol.Message m;
        try {
            m = init.receive(timeoutMillis);
        } catch (InitProcess.ProtocolTimeoutException e) {
            throw new ContainerException("mdocker-init did not bind the published ports within " + timeoutMillis + " ms");
        }
        if (m == null) {
            throw new ContainerException("mdocker-init exited while binding the published ports");
        }
        if (m.type() == Protocol.MSG_ERROR && m.int32(0) == Protocol.STEP_PUBLISH) {
            throw PortProxy.bindFailure(ports.get(entry(m.text(2), ports.size())), Errno.description(m.int32(1)));
        }
        if (m.type() == Protocol.MSG_ERROR) {
            throw SetupErrors.of(m.int32(0), m.int32(1), m.text(2));
        }
        if (m.type() != Protocol.MSG_PUBLISHED || m.payload().remaining() != 2 * ports.size()) {
            throw new ContainerException("mdocker-init answered PUBLISH with message " + m.type() + " of "
                    + m.payload().remaining() + " bytes, expected PUBLISHED of " + 2 * ports.size());
        }
        List<PortProxy.Bound> bound = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            PortProxy.Spec s = ports.get(i);
            bound.add(new PortProxy.Bound(s.hostIp(), m.payload().getShort(2 * i) & 0xffff, s.containerPort()));
        }
        return bound;
    }

    /** i of an ERROR text "PUBLISH[i]: ..." (0 when it says none). */
    private static int entry(String text, int count) {
        int open = text.indexOf('[');
        int close = text.indexOf(']');
        try {
            int i = Integer.parseInt(text.substring(open + 1, close));
            return i >= 0 && i < count ? i : 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
