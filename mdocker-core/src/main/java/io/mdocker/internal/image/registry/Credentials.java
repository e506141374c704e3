package io.mdocker.internal.image.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A user name and password (or identity token) for a registry. {@link #toString()} hides the password. */
public record Credentials(String username, String password) {
    public Credentials {
        if (username.isEmpty()) {
            throw new IllegalArgumentException("registry credentials: the user name is empty");
        }
    }

    /** The value of an {@code Authorization: Basic} header. */
    public String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[" + username + ", password hidden]";
    }
}
