/** A user's modular application: it reads mdocker's API module and nothing else of mdocker. */
module com.example.modular {
    requires io.mdocker.core;
}
