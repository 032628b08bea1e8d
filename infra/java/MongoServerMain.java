import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;

/**
 * Runs mongo-java-server with its H2 (MVStore) backend as a standalone MongoDB-wire server.
 * Usage: MongoServerMain <host> <port> <database file>
 * The H2 file makes data survive a restart, which the local stack promises.
 */
public final class MongoServerMain {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: MongoServerMain <host> <port> <h2-file>");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        H2Backend backend = new H2Backend(args[2]);
        MongoServer server = new MongoServer(backend);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // shutdown() closes the MVStore cleanly so the next start reads a consistent file.
            server.shutdown();
            System.out.println("mongo-java-server stopped");
        }));
        server.bind(host, port);
        System.out.println("mongo-java-server listening on " + host + ":" + port + " file=" + args[2]);
        Thread.currentThread().join();
    }
}
