import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Runs mongo-java-server with its H2 (MVStore) backend as a standalone MongoDB-wire server.
 * Usage: MongoServerMain <host> <port> <database file>
 * The H2 file makes data survive a restart, which the local stack promises.
 *
 * One planner fix: mongo-java-server uses the _id index only for a filter that is exactly
 * {_id: value}; any extra condition ({_id: k, "_meta.version": 3}, canonql's compare-and-set)
 * scans the whole collection. MongoDB and FerretDB look the document up by _id and then check the
 * rest; IdFirstCollection does the same, so the local store's cost model matches theirs.
 *
 * A second: a page sorted by _id with a limit ({@code find(filter).sort({_id: 1}).limit(21)}, the
 * list query's first page) made mongo-java-server match every document, sort them all and cut the
 * page. MongoDB and FerretDB walk the _id index in order and stop after the page; IdFirstCollection
 * walks the data map (keyed by _id) in key order the same way, when every key is a string, whose
 * map order (String.compareTo) is the order mongo-java-server sorts strings by.
 */
public final class MongoServerMain {
    private static final int CACHE_MB = Integer.getInteger("canonql.mvstore.cacheMb", 256);

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: MongoServerMain <host> <port> <h2-file>");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        // A larger page cache than MVStore's 16 MB default: with the default, a store of a few
        // hundred thousand documents re-reads pages from disk on nearly every B-tree search.
        MVStore store = new MVStore.Builder().fileName(args[2]).cacheSize(CACHE_MB).open();
        MongoServer server = new MongoServer(new IdFirstBackend(store));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // shutdown() closes the MVStore cleanly so the next start reads a consistent file.
            server.shutdown();
            System.out.println("mongo-java-server stopped");
        }));
        server.bind(host, port);
        System.out.println("mongo-java-server listening on " + host + ":" + port + " file=" + args[2]);
        Thread.currentThread().join();
    }

    static final class IdFirstBackend extends H2Backend {
        IdFirstBackend(MVStore store) {
            super(store);
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            IdFirstDatabase.store = getMvStore();
            return new IdFirstDatabase(databaseName, getMvStore(), getCursorRegistry());
        }
    }

    static final class IdFirstDatabase extends H2Database {
        // Set before any database exists: H2Database's constructor already opens collections,
        // before a subclass field could be assigned.
        static volatile MVStore store;

        IdFirstDatabase(String name, MVStore mvStore, CursorRegistry cursors) {
            super(name, mvStore, cursors);
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            // The same MVStore map names as H2Database uses, so existing data files stay readable.
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = store.openMap("databases." + fullName);
            MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
            return new IdFirstCollection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        }
    }

    static final class IdFirstCollection extends H2Collection {
        private final MVMap<Object, Document> dataMap;

        IdFirstCollection(MongoDatabase database, String name, CollectionOptions options,
                          MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursors) {
            super(database, name, options, dataMap, metaMap, cursors);
            this.dataMap = dataMap;
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize,
                                             Document fieldSelector) {
            if (query != null && query.size() > 1 && query.containsKey("_id") && isPlainValue(query.get("_id"))) {
                List<Document> candidates = new ArrayList<>();
                for (Document document : super.queryDocuments(new Document("_id", query.get("_id")), null, 0, 0, 0, null)) {
                    candidates.add(document);
                }
                return matchDocumentsFromStream(query, candidates.stream(), skip, limit, batchSize, null, fieldSelector);
            }
            int direction = idSortDirection(orderBy);
            if (direction != 0 && limit > 0 && allKeysAreStrings()) {
                // Lazy stream: filter, skip and limit stop reading the map once the page is full.
                return matchDocumentsFromStream(query == null ? new Document() : query, valuesInKeyOrder(direction < 0), skip, limit, batchSize, null, fieldSelector);
            }
            return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        /** 1 or -1 for a sort on _id alone, else 0. */
        private static int idSortDirection(Document orderBy) {
            if (orderBy == null || orderBy.size() != 1 || !(orderBy.get("_id") instanceof Number)) return 0;
            int direction = ((Number) orderBy.get("_id")).intValue();
            return direction == 1 || direction == -1 ? direction : 0;
        }

        /**
         * The map orders keys by type first, then by value; when the first and the last key are
         * strings, every key is. Other key types (numbers of several Java types, ObjectIds, the
         * null marker) are ordered differently from MongoDB and take the general path.
         */
        private boolean allKeysAreStrings() {
            if (dataMap.isEmpty()) return false;
            return dataMap.firstKey() instanceof String && dataMap.lastKey() instanceof String;
        }

        private Stream<Document> valuesInKeyOrder(boolean reverse) {
            Cursor<Object, Document> cursor = dataMap.cursor(null, null, reverse);
            Iterator<Document> values = new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return cursor.hasNext();
                }

                @Override
                public Document next() {
                    cursor.next();
                    return cursor.getValue();
                }
            };
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(values, Spliterator.ORDERED), false);
        }

        private static boolean isPlainValue(Object value) {
            if (value instanceof Document) {
                for (String key : ((Document) value).keySet()) {
                    if (key.startsWith("$")) return false;
                }
            }
            return true;
        }
    }
}
