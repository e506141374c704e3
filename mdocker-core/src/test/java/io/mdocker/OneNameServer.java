package io.mdocker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A name server of one name on a loopback address, for the tests of pasta's DNS relay: A
 * mdocker.test is 10.9.8.7, every other question an empty answer. It counts the queries it got.
 */
final class OneNameServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final AtomicInteger queries = new AtomicInteger();
    private final Thread server;

    /** Serves on {@code address}, port 53, until closed. */
    OneNameServer(String address) throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(address, 53));
        server = Thread.ofVirtual().start(this::answer);
    }

    /** The queries answered so far. */
    int queries() {
        return queries.get();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        server.join(5000);
    }

    private void answer() {
        byte[] buf = new byte[512];
        while (!socket.isClosed()) {
            DatagramPacket q = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(q);
            } catch (IOException e) {
                return;
            }
            queries.incrementAndGet();
            int end = 12;
            while (end < q.getLength() && buf[end] != 0) {
                end += (buf[end] & 0xff) + 1;
            }
            int qtype = ((buf[end + 1] & 0xff) << 8) | (buf[end + 2] & 0xff);
            String name = new String(buf, 13, Math.max(0, end - 13), StandardCharsets.US_ASCII).replaceAll("[\\x00-\\x1f]", ".");
            boolean a = qtype == 1 && name.equals("mdocker.test");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(buf, 0, 2); // the query's id
            out.writeBytes(new byte[] {(byte) 0x81, (byte) 0x80, 0, 1, 0, (byte) (a ? 1 : 0), 0, 0, 0, 0});
            out.write(buf, 12, end + 5 - 12); // the question
            if (a) {
                out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7});
            }
            try {
                socket.send(new DatagramPacket(out.toByteArray(), out.size(), q.getSocketAddress()));
            } catch (IOException e) {
                return;
            }
        }
    }
}
