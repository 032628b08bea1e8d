import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.AbstractMongoCollection;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.h2.H2UniqueIndex;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.MongoServerException;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

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
 *
 * A third: the unique indexes (the _id index of every collection) keep their keys in an H2 map
 * whose key type compares two keys by Java-serializing both on every comparison (the key class
 * is not Comparable), so each insert and each lookup by _id serialized about forty objects; a
 * CPU profile of inserts had 52% of the server's time there. KeyValueKeys compares a key holding
 * one string without serializing, in exactly the order the serialized bytes give, so the data
 * files written before stay valid; other keys take the serializing path.
 *
 * A fifth: a count (the drivers' countDocuments, an aggregate of $match and a $group count, and the
 * count command) read and matched every document, even when an index holds the answer; MongoDB
 * counts the index range. countFromIndexes does so when the filter is a conjunction of equalities
 * and one-class ranges on fields OrderedIndexes keep, and leaves any other filter to the general path.
 *
 * A fourth: MVStore rewrites every document of a dirty page at each commit, and H2 wrote documents
 * with Java serialization (40% of the server's CPU during ingestion); DocumentValues writes them in
 * a compact form of its own when -Dcanonql.store.compactDocuments=true, and reads both forms.
 *
 * A sixth: mongo-java-server kept each collection's data size (collStats' size) as a running
 * total, BSON-encoding the stored and the new document of every insert, update and delete only to
 * measure them (a tenth of the server's CPU during ingestion); IdFirstCollection sums the size from
 * the stored documents when a command asks for it instead.
 *
 * A seventh: a write named by its _id searched the _id index more than once: an update by _id
 * (canonql's guarded replace) found the document through the index, copied it twice and searched
 * the index again for the position it had just used; an insert checked the _id, checked it again
 * and put it. IdFirstCollection.updateOneById and addDocument take one search each, with the
 * general path's replies, errors and stored field order (test/integration/infra/store-write-by-id.test.ts).
 *
 * An eighth: a list of _ids ({_id: {$in: [k1, ..., kn]}}, a batch's state read) found each
 * document through the _id index and then matched it against the whole list, n comparisons per
 * document, n² for the query: 1,000 keys took about 115 ms, 100 keys 5. IdFirstCollection looks
 * up each distinct key of a list of strings and returns what it finds without matching it again
 * (test/integration/infra/store-id-list.test.ts).
 *
 * And one correctness fix: mongo-java-server updates a stored document in place, field by field,
 * on the very object its data map holds and every earlier query result still references; a reply
 * is encoded after the collection's lock is released. A read racing an update could so return a
 * torn document (the first fields of one version, the last of the next: `members` old and `rev`
 * new), and a compare-and-set based on that read matched and wrote back the stale fields, losing
 * the other writer's update. IdFirstCollection updates a copy and puts it in the map instead, so a
 * document object, once stored, never changes (see docs/design-notes.md).
 */
public final class MongoServerMain {
    private static final int CACHE_MB = Integer.getInteger("canonql.mvstore.cacheMb", 256);
    /** Write stored documents in DocumentValues' compact form (always read). */
    private static final boolean COMPACT_DOCUMENTS = Boolean.getBoolean("canonql.store.compactDocuments");
    /**
     * Collections (by name, comma-separated) that a new database keeps in insertion order: their
     * data map is keyed by a sequence number and the _id index maps each _id to it (see
     * IdFirstDatabase.insertOrdered).
     */
    private static final Set<String> INSERT_ORDERED = namesOf(System.getProperty("canonql.store.insertOrderedCollections", ""));

    private static Set<String> namesOf(String list) {
        Set<String> names = new HashSet<>();
        for (String name : list.split(",")) {
            if (!name.isBlank()) names.add(name.trim());
        }
        return Set.copyOf(names);
    }

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

    /** H2UniqueIndex's constructor is package-private; the launcher builds it with its own map. */
    private static final Constructor<H2UniqueIndex> UNIQUE_INDEX;

    /** AbstractMongoCollection.calculateUpdateDocument (private): the document an update makes of a stored one. */
    private static final Method CALCULATE_UPDATE;
    /** H2UniqueIndex's map (private): the launcher puts an _id into it with one search (IdFirstCollection.addDocument). */
    private static final Field UNIQUE_INDEX_MAP;

    static {
        try {
            UNIQUE_INDEX = H2UniqueIndex.class.getDeclaredConstructor(MVMap.class, String.class, List.class, boolean.class);
            UNIQUE_INDEX.setAccessible(true);
            CALCULATE_UPDATE = AbstractMongoCollection.class.getDeclaredMethod("calculateUpdateDocument", Document.class, Document.class,
                ArrayFilters.class, Integer.class, boolean.class);
            CALCULATE_UPDATE.setAccessible(true);
            UNIQUE_INDEX_MAP = H2UniqueIndex.class.getDeclaredField("mvMap");
            UNIQUE_INDEX_MAP.setAccessible(true);
        } catch (NoSuchMethodException | NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The unique indexes' key type: ObjectDataType (same serialized form on disk), with a fast
     * comparison of two keys that each hold one string. ObjectDataType orders such keys by their
     * Java-serialized bytes, unsigned. Both serialized forms share every byte up to the string,
     * which is written as TC_STRING (0x74), its modified-UTF-8 length as 2 bytes, then the bytes
     * (TC_LONGSTRING, 0x7C, and 8 length bytes above 65,535), and end alike: so the order is
     * by tag, then by length, then by the modified-UTF-8 bytes, unsigned (checked against
     * ObjectDataType's own comparison on 181,560 pairs, lengths 0 to 70,000, every UTF-8 width and pure
     * ASCII, none differing: docs/performance.md). test/integration/mongo-store.test.ts checks lookups and
     * uniqueness through such an index for keys of every kind.
     */
    static final class KeyValueKeys extends ObjectDataType {
        /** The tag of a key in the compact form (ObjectDataType's tags are 0 to 119, a document's 0xD0). */
        static final int TAG_KEY = 0xD1;

        private final boolean writeCompact;
        /** In-memory size estimate per key: twice its encoded size, averaged. */
        private volatile int averageMemory = 100;

        KeyValueKeys(boolean writeCompact) {
            this.writeCompact = writeCompact;
        }

        /**
         * With writeCompact, a key whose values all have DocumentValues' compact form is written in
         * it (count, then the values), else Java-serialized as before; both are read. The order of
         * keys is the comparison's, not the stored form's, so it does not change.
         */
        @Override
        public void write(WriteBuffer buff, Object obj) {
            if (writeCompact && obj instanceof KeyValue) {
                KeyValue key = (KeyValue) obj;
                int start = buff.position();
                buff.put((byte) TAG_KEY).putVarInt(key.size());
                boolean written = true;
                for (Object value : key) {
                    if (!(written = DocumentValues.writeValue(buff, value))) break;
                }
                if (written) {
                    averageMemory = (int) (((buff.position() - start) * 2L + 15L * averageMemory) / 16);
                    return;
                }
                buff.position(start);
            }
            super.write(buff, obj);
        }

        @Override
        public Object read(ByteBuffer buff) {
            if ((buff.get(buff.position()) & 0xFF) != TAG_KEY) return super.read(buff);
            int start = buff.position();
            buff.get();
            int size = DataUtils.readVarInt(buff);
            List<Object> values = new ArrayList<>(size);
            for (int i = 0; i < size; i++) values.add(DocumentValues.readValue(buff));
            averageMemory = (int) (((buff.position() - start) * 2L + 15L * averageMemory) / 16);
            return new KeyValue(values);
        }

        @Override
        public int getMemory(Object obj) {
            return obj instanceof KeyValue ? averageMemory : super.getMemory(obj);
        }

        @Override
        public int compare(Object a, Object b) {
            if (a instanceof KeyValue && b instanceof KeyValue) {
                KeyValue ka = (KeyValue) a;
                KeyValue kb = (KeyValue) b;
                if (ka.size() == 1 && kb.size() == 1 && ka.get(0) instanceof String && kb.get(0) instanceof String) {
                    return compareSerializedStrings((String) ka.get(0), (String) kb.get(0));
                }
            }
            return super.compare(a, b);
        }

        static int compareSerializedStrings(String a, String b) {
            // Ids are mostly ASCII (hex, UUIDs): one byte per char, so the bytes compare as the chars do.
            if (isAscii(a) && isAscii(b)) {
                if (a.length() != b.length()) return a.length() < b.length() ? -1 : 1;
                return Integer.signum(a.compareTo(b));
            }
            byte[] ea = modifiedUtf8(a);
            byte[] eb = modifiedUtf8(b);
            boolean longA = ea.length > 0xFFFF;
            boolean longB = eb.length > 0xFFFF;
            if (longA != longB) return longA ? 1 : -1;
            if (ea.length != eb.length) return ea.length < eb.length ? -1 : 1;
            return Integer.signum(Arrays.compareUnsigned(ea, eb));
        }

        /** Every char is written as one byte (U+0001 to U+007F; U+0000 takes two). */
        private static boolean isAscii(String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0 || c > 0x7F) return false;
            }
            return true;
        }

        /** The bytes DataOutput.writeUTF writes after the length: U+0000 as two bytes, surrogates one by one. */
        static byte[] modifiedUtf8(String s) {
            int length = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                length += c >= 0x0001 && c <= 0x007F ? 1 : c <= 0x07FF ? 2 : 3;
            }
            byte[] out = new byte[length];
            int at = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c >= 0x0001 && c <= 0x007F) {
                    out[at++] = (byte) c;
                } else if (c <= 0x07FF) {
                    out[at++] = (byte) (0xC0 | (c >> 6));
                    out[at++] = (byte) (0x80 | (c & 0x3F));
                } else {
                    out[at++] = (byte) (0xE0 | (c >> 12));
                    out[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    out[at++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return out;
        }
    }

    static final class IdFirstDatabase extends H2Database {
        // Set before any database exists: H2Database's constructor already opens collections,
        // before a subclass field could be assigned.
        static volatile MVStore store;

        IdFirstDatabase(String name, MVStore mvStore, CursorRegistry cursors) {
            super(name, mvStore, cursors);
        }

        /** A collection's meta-map entry naming its layout; absent for the _id-keyed layout mongo-java-server writes. */
        static final String LAYOUT_KEY = "canonqlLayout";
        static final String INSERT_ORDER = "insertOrder";

        /**
         * Whether the collection's data map is keyed by insertion sequence (IdFirstCollection's
         * positions are then Longs, and its _id index maps each _id to one) rather than by _id.
         * Decided once, when the collection is created empty with a name in
         * canonql.store.insertOrderedCollections, and recorded in its meta map, so a file opens
         * with each collection's own layout whatever the flag says later: a collection written
         * keyed by _id stays so.
         */
        private static boolean insertOrdered(String collectionName, MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap) {
            if (INSERT_ORDER.equals(metaMap.get(LAYOUT_KEY))) return true;
            if (!INSERT_ORDERED.contains(collectionName) || !dataMap.isEmpty()) return false;
            metaMap.put(LAYOUT_KEY, INSERT_ORDER);
            return true;
        }

        /**
         * A non-unique index on one field (then _id) is kept and used (OrderedIndex); others are
         * ignored as before. Not on a collection in insertion order: OrderedIndex takes a
         * position for the document's _id.
         */
        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            boolean byId = !INSERT_ORDER.equals(store.<String, Object>openMap("meta." + getFullCollectionNamespace(collectionName)).get(LAYOUT_KEY));
            OrderedIndex index = byId ? OrderedIndex.of(indexName, keys, sparse) : null;
            return index != null ? index : super.openOrCreateSecondaryIndex(collectionName, indexName, keys, sparse);
        }

        private static final ThreadLocal<Document[]> LEADING_MATCH = new ThreadLocal<>();

        /** The leading $match of the aggregate command being run on this thread for that collection, once. */
        static Document takeLeadingMatch(String collectionName) {
            Document[] pending = LEADING_MATCH.get();
            if (pending == null || !collectionName.equals(pending[0].get("collection"))) return null;
            LEADING_MATCH.remove();
            return pending[1];
        }

        /** The keys of an aggregate command the index count answers; any other (collation, hint, let, explain, ...) takes the general path. */
        private static final Set<String> COUNT_COMMAND_KEYS = Set.of("aggregate", "pipeline", "cursor", "$db", "lsid", "$clusterTime", "maxTimeMS",
            "comment", "$readPreference");

        /**
         * The reply to the drivers' countDocuments, {@code aggregate [{$match: F}, {$group: {_id: <constant>, n: {$sum: 1}}}]},
         * from the collection's indexes when they answer F exactly (IdFirstCollection.countFromIndexes), as the
         * general path would give it: one document {_id, n} (n an int while it fits), none for no match. Null otherwise.
         */
        private Document countReply(String command, Document query) {
            if (!"aggregate".equals(command) || !(query.get("aggregate") instanceof String) || !(query.get("cursor") instanceof Document)
                || !(query.get("pipeline") instanceof List) || !COUNT_COMMAND_KEYS.containsAll(query.keySet())) return null;
            List<?> pipeline = (List<?>) query.get("pipeline");
            if (pipeline.size() != 2 || !(pipeline.get(0) instanceof Document) || !(pipeline.get(1) instanceof Document)) return null;
            Document matchStage = (Document) pipeline.get(0);
            Document groupStage = (Document) pipeline.get(1);
            if (matchStage.size() != 1 || !(matchStage.get("$match") instanceof Document)) return null;
            if (groupStage.size() != 1 || !(groupStage.get("$group") instanceof Document)) return null;
            Document group = (Document) groupStage.get("$group");
            if (group.size() != 2 || !group.containsKey("_id")) return null;
            Object id = group.get("_id");
            boolean constantId = id == null || id instanceof Number || id instanceof Boolean || (id instanceof String && !((String) id).startsWith("$"));
            if (!constantId) return null;
            String countField = null;
            for (String key : group.keySet()) {
                if (!key.equals("_id")) countField = key;
            }
            Object accumulator = group.get(countField);
            if (countField.startsWith("$") || countField.contains(".") || !(accumulator instanceof Document)) return null;
            Document sum = (Document) accumulator;
            if (sum.size() != 1 || !Integer.valueOf(1).equals(sum.get("$sum"))) return null;
            String collectionName = (String) query.get("aggregate");
            MongoCollection<Object> collection = resolveCollection(collectionName, false);
            if (!(collection instanceof IdFirstCollection)) return null;
            Long count = ((IdFirstCollection) collection).countFromIndexes((Document) matchStage.get("$match"));
            if (count == null) return null;
            List<Document> batch = new ArrayList<>();
            if (count > 0) {
                Document result = new Document("_id", id);
                result.put(countField, count <= Integer.MAX_VALUE ? (Object) Integer.valueOf(count.intValue()) : (Object) count);
                batch.add(result);
            }
            Document cursor = new Document();
            cursor.put("id", 0L);
            cursor.put("ns", getFullCollectionNamespace(collectionName));
            cursor.put("firstBatch", batch);
            Document reply = new Document("cursor", cursor);
            reply.put("ok", 1.0);
            return reply;
        }

        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver resolver, Oplog oplog) {
            if ("canonqlStoreStats".equals(command)) {
                // The launcher's own counters, for checks that a path was taken (test/integration/infra/store-index-count.test.ts).
                Document stats = new Document("indexCounts", IdFirstCollection.INDEX_COUNTS.get());
                stats.put("updatesById", IdFirstCollection.UPDATES_BY_ID.get());
                stats.put("insertsByOneSearch", IdFirstCollection.INSERTS_BY_ONE_SEARCH.get());
                stats.put("idListsByLookup", IdFirstCollection.ID_LISTS_BY_LOOKUP.get());
                stats.put("inListsByIndex", OrderedIndex.IN_LISTS_BY_INDEX.get());
                stats.put("ok", 1.0);
                return stats;
            }
            Document counted = countReply(command, query);
            if (counted != null) {
                clearLastStatus(channel);
                return counted;
            }
            if (!"aggregate".equals(command) || !(query.get("aggregate") instanceof String) || !(query.get("pipeline") instanceof List)) {
                return super.handleCommand(channel, command, query, resolver, oplog);
            }
            List<?> pipeline = (List<?>) query.get("pipeline");
            Object first = pipeline.isEmpty() ? null : pipeline.get(0);
            Object match = first instanceof Document && ((Document) first).size() == 1 ? ((Document) first).get("$match") : null;
            if (!(match instanceof Document)) return super.handleCommand(channel, command, query, resolver, oplog);
            LEADING_MATCH.set(new Document[] {new Document("collection", query.get("aggregate")), (Document) match});
            try {
                return super.handleCommand(channel, command, query, resolver, oplog);
            } finally {
                LEADING_MATCH.remove();
            }
        }

        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            // The same map name as H2Database uses; only the key comparison differs.
            MVMap<KeyValue, Object> map = store.openMap(getFullCollectionNamespace(collectionName) + "._index_" + indexName,
                new MVMap.Builder<KeyValue, Object>().keyType(new KeyValueKeys(COMPACT_DOCUMENTS)));
            try {
                return UNIQUE_INDEX.newInstance(map, indexName, keys, sparse);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot create the unique index " + indexName, e);
            }
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            // The same MVStore map names as H2Database uses, so existing data files stay readable.
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = store.openMap("databases." + fullName,
                new MVMap.Builder<Object, Document>().valueType(new DocumentValues(COMPACT_DOCUMENTS)));
            MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
            return new IdFirstCollection(this, collectionName, options, dataMap, metaMap, cursorRegistry, insertOrdered(collectionName, dataMap, metaMap));
        }
    }

    static final class IdFirstCollection extends H2Collection {
        private final MVMap<Object, Document> dataMap;
        /**
         * Documents keyed by insertion sequence (a Long position) instead of by _id. MVStore
         * rewrites every document of a page a commit dirtied: inserts with random _ids (the event
         * log's hashes) dirty pages across the whole collection, so each commit re-encoded most of
         * it; in insertion order they fill the last page. The _id index maps each _id to its
         * position, as MongoDB's maps it to a record id.
         */
        private final boolean insertOrdered;
        /** The next insertion position (guarded by the collection's lock, as every insert is). */
        private long nextPosition;

        IdFirstCollection(MongoDatabase database, String name, CollectionOptions options,
                          MVMap<Object, Document> dataMap, MVMap<String, Object> metaMap, CursorRegistry cursors, boolean insertOrdered) {
            super(database, name, options, dataMap, metaMap, cursors);
            this.dataMap = dataMap;
            this.insertOrdered = insertOrdered;
            this.nextPosition = insertOrdered && !dataMap.isEmpty() ? (Long) dataMap.lastKey() + 1 : 0;
        }

        /** Inserts whose _id was checked and put with one search of the _id index (the canonqlStoreStats command). */
        static final AtomicLong INSERTS_BY_ONE_SEARCH = new AtomicLong();

        /**
         * mongo-java-server searched the _id index three times per insert: its check, the same check
         * again inside the index's add, then the put. When the _id index is the collection's only
         * unique index (so no other index can refuse the document once the _id is in), the put
         * itself is the check: putIfAbsent, and an _id already there is refused with the same
         * duplicate key error before anything is written. The other indexes are checked before and
         * added after the document, as in the general path; a document the data map refuses takes
         * its _id back out of the index. Anything else (no _id yet, an array _id, another unique
         * index) takes the general path.
         */
        @Override
        public synchronized void addDocument(Document document) {
            Object id = document.get("_id");
            H2UniqueIndex idIndex = id == null || id instanceof Collection ? null : soleUniqueIdIndex();
            if (idIndex == null) {
                super.addDocument(document);
                return;
            }
            for (Index<Object> index : getIndexes()) {
                if (index != idIndex) index.checkAdd(document, this);
            }
            Set<KeyValue> keys = idIndex.getKeyValues(document);
            if (keys.size() != 1) {
                super.addDocument(document);
                return;
            }
            KeyValue key = keys.iterator().next();
            MVMap<KeyValue, Object> idMap = mapOf(idIndex);
            // H2Collection keys an _id-keyed collection's documents by the _id itself.
            Object position = insertOrdered ? (Object) Long.valueOf(nextPosition) : id;
            if (idMap.putIfAbsent(key, Missing.ofNullable(position)) != null) throw new DuplicateKeyError(idIndex, this, idIndex.getKeys(), key);
            Object stored;
            try {
                stored = addDocumentInternal(document);
            } catch (RuntimeException e) {
                idMap.remove(key, Missing.ofNullable(position));
                throw e;
            }
            if (!stored.equals(position)) idMap.put(key, Missing.ofNullable(stored));
            for (Index<Object> index : getIndexes()) {
                if (index != idIndex) index.add(document, stored, this);
            }
            INSERTS_BY_ONE_SEARCH.incrementAndGet();
        }

        /** The indexes soleUniqueIdIndex last looked at, and its answer for them. */
        private Object[] idIndexFor = new Object[0];
        private H2UniqueIndex idIndexFound;

        /** The _id index when it is mongo-java-server's H2 unique index on _id alone, non-sparse, and no other index is unique; else null. */
        private H2UniqueIndex soleUniqueIdIndex() {
            List<Index<Object>> indexes = getIndexes();
            if (!Arrays.equals(idIndexFor, indexes.toArray())) {
                idIndexFound = findSoleUniqueIdIndex();
                idIndexFor = indexes.toArray();
            }
            return idIndexFound;
        }

        private H2UniqueIndex findSoleUniqueIdIndex() {
            H2UniqueIndex found = null;
            for (Index<Object> index : getIndexes()) {
                if (!index.isUnique()) continue;
                if (found != null || !(index instanceof H2UniqueIndex) || index.getKeys().size() != 1 || !"_id".equals(index.getKeys().get(0).getKey())
                    || Boolean.TRUE.equals(index.toIndexDescription().get("sparse"))) return null;
                found = (H2UniqueIndex) index;
            }
            return found;
        }

        @SuppressWarnings("unchecked")
        private static MVMap<KeyValue, Object> mapOf(H2UniqueIndex index) {
            try {
                return (MVMap<KeyValue, Object>) UNIQUE_INDEX_MAP.get(index);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected synchronized Object addDocumentInternal(Document document) {
            if (!insertOrdered) return super.addDocumentInternal(document);
            Long position = nextPosition++;
            Document previous = dataMap.put(position, document);
            if (previous != null) throw new IllegalStateException("position " + position + " already held a document in " + this);
            return position;
        }

        /**
         * mongo-java-server keeps a collection's data size (collStats' size, validate's datasize) as a
         * running total: every insert, update and delete BSON-encoded the old and the new document
         * only to measure them (about a tenth of the store's CPU during ingestion). The launcher
         * does not keep it; the size is summed from the stored documents when a command asks.
         */
        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        protected synchronized int getDataSize() {
            // H2Collection's constructor asks once, for a debug line, before this class's fields are
            // set: no scan of the whole collection at every start for a line nobody logs.
            if (dataMap == null) return 0;
            long total = 0;
            ByteBuf buffer = Unpooled.buffer();
            try {
                for (Document document : dataMap.values()) {
                    buffer.clear();
                    BsonEncoder.encodeDocument(document, buffer);
                    total += buffer.writerIndex();
                }
            } finally {
                buffer.release();
            }
            return (int) Math.min(total, Integer.MAX_VALUE);
        }

        /** Set while this thread runs an update: the documents its query finds are copies, updated in place of the stored ones. */
        private static final ThreadLocal<Boolean> UPDATING = new ThreadLocal<>();

        @Override
        public synchronized Document updateDocuments(Document selector, Document update, ArrayFilters arrayFilters, boolean isMulti,
                                                     boolean isUpsert, Oplog oplog) {
            Document updatedById = updateOneById(selector, update, arrayFilters, isMulti, oplog);
            if (updatedById != null) return updatedById;
            UPDATING.set(Boolean.TRUE);
            try {
                return super.updateDocuments(selector, update, arrayFilters, isMulti, isUpsert, oplog);
            } finally {
                UPDATING.remove();
            }
        }

        @Override
        public synchronized Document findAndModify(Document query) {
            UPDATING.set(Boolean.TRUE);
            try {
                return super.findAndModify(query);
            } finally {
                UPDATING.remove();
            }
        }

        /** Updates answered by updateOneById since the store started (the canonqlStoreStats command). */
        static final AtomicLong UPDATES_BY_ID = new AtomicLong();

        /**
         * An update of one document named by its _id (canonql's guarded replace
         * {@code {_id: k, "_meta.version": v}}, a {@code $set} by _id), done with one search of the
         * _id index. mongo-java-server's general path found the document through the index, copied
         * it, matched it through a stream, copied it deeply again and searched the _id index a second
         * time for the position it had just used. Here the position found is kept, the stored
         * document is matched and read as it is (a stored document never changes: an update stores
         * a new object), the new document is computed by mongo-java-server's own
         * calculateUpdateDocument, and the indexes and the data map are updated in the general
         * path's order, with the same stored field order (the old fields kept in place, new ones
         * after) and the same reply. Null when the update is of another kind (multi, positional or
         * array-filtered paths, an empty update), or no document has that _id, or it does not match
         * the rest of the filter: the general path then answers (an upsert, n: 0), reading again.
         */
        private Document updateOneById(Document selector, Document update, ArrayFilters arrayFilters, boolean isMulti, Oplog oplog) {
            if (isMulti || selector == null || update == null || update.isEmpty() || !plainPaths(update)) return null;
            Object id = selector.get("_id");
            if (id == null || !isPlainValue(id)) return null;
            Index<Object> idIndex = idIndex();
            Document byId = new Document("_id", id);
            if (idIndex == null || !idIndex.canHandle(byId)) return null;
            Iterator<Object> positions = idIndex.getPositions(byId).iterator();
            if (!positions.hasNext()) return null;
            Object position = positions.next();
            if (positions.hasNext()) return null;
            Document stored = getDocument(position);
            if (stored == null || !documentMatchesQuery(stored, selector)) return null;
            Document next = calculateUpdate(stored, update, arrayFilters);
            boolean modified = !next.equals(stored);
            if (modified) {
                for (String key : next.keySet()) {
                    if (key.contains(".")) throw new MongoServerException("illegal field name. must not happen as it must be caught by the driver");
                }
                for (Index<Object> index : getIndexes()) index.checkUpdate(stored, next, this);
                for (Index<Object> index : getIndexes()) index.updateInPlace(stored, next, position, this);
                // The general path's stored form: the old document's fields that remain, in place, then the new ones.
                Document written = stored.clone();
                written.keySet().retainAll(next.keySet());
                for (String key : next.keySet()) written.put(key, next.get(key));
                handleUpdate(position, stored, written);
            }
            oplog.handleUpdate(getFullName(), selector, update, modified ? List.of(stored.get("_id")) : List.of());
            UPDATES_BY_ID.incrementAndGet();
            Document result = new Document("n", Integer.valueOf(1));
            result.put("nModified", Integer.valueOf(modified ? 1 : 0));
            return result;
        }

        private Document calculateUpdate(Document stored, Document update, ArrayFilters arrayFilters) {
            try {
                return (Document) CALCULATE_UPDATE.invoke(this, stored, update, arrayFilters, null, false);
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
                throw new IllegalStateException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        /**
         * A replacement, or update operators whose paths name no array position ($, $[], $[id]):
         * for those the general path first finds which array element the filter matched.
         */
        private static boolean plainPaths(Document update) {
            boolean operators = false;
            for (String key : update.keySet()) {
                if (key.startsWith("$")) operators = true;
            }
            if (!operators) return true;
            for (Map.Entry<String, Object> operator : update.entrySet()) {
                if (!operator.getKey().startsWith("$") || !(operator.getValue() instanceof Document)) return false;
                for (String path : ((Document) operator.getValue()).keySet()) {
                    if (path.contains("$")) return false;
                }
            }
            return true;
        }

        /** The unique index on _id alone, or null. */
        private Index<Object> idIndex() {
            for (Index<Object> index : getIndexes()) {
                if (index.isUnique() && index.getKeys().size() == 1 && "_id".equals(index.getKeys().get(0).getKey())) return index;
            }
            return null;
        }

        /**
         * The documents found; within an update, copies: mongo-java-server mutates the documents an
         * update finds field by field and then stores that same object, so without a copy a reply
         * being encoded from the stored object (outside the lock) could mix two versions. A copy of
         * the top level is enough: the update computes its new document from deep clones (or the
         * request) and only puts and removes top-level fields on the document it found, so no
         * nested value of a stored document is ever changed.
         */
        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize,
                                             Document fieldSelector) {
            QueryResult found = plannedQuery(query, orderBy, skip, limit, batchSize, fieldSelector);
            if (UPDATING.get() == null) return found;
            List<Document> copies = new ArrayList<>();
            for (Document document : found) copies.add(document.clone());
            return new QueryResult(copies, found.getCursorId());
        }

        /** Queries {_id: {$in: [strings]}} answered by one lookup per key since the store started (the canonqlStoreStats command). */
        static final AtomicLong ID_LISTS_BY_LOOKUP = new AtomicLong();

        private QueryResult plannedQuery(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            Set<String> ids = stringIdList(query);
            if (ids != null) {
                // Each candidate was found by its own key, so it matches: no n-by-n match of the list.
                List<Document> candidates = new ArrayList<>();
                for (String id : ids) {
                    for (Document document : super.queryDocuments(new Document("_id", id), null, 0, 0, 0, null)) candidates.add(document);
                }
                ID_LISTS_BY_LOOKUP.incrementAndGet();
                return matchDocumentsFromStream(candidates.stream(), new Document(), orderBy, skip, limit, batchSize, fieldSelector);
            }
            if (query != null && query.size() > 1 && query.containsKey("_id") && isPlainValue(query.get("_id"))) {
                List<Document> candidates = new ArrayList<>();
                for (Document document : super.queryDocuments(new Document("_id", query.get("_id")), null, 0, 0, 0, null)) {
                    candidates.add(document);
                }
                return matchDocumentsFromStream(query, candidates.stream(), skip, limit, batchSize, null, fieldSelector);
            }
            if (limit > 0) {
                for (Index<Object> index : getIndexes()) {
                    if (!(index instanceof OrderedIndex)) continue;
                    List<Object> positions = ((OrderedIndex) index).positionsSortedBy(orderBy, query);
                    if (positions == null) continue;
                    // The page in index order: filter, skip and limit stop reading once it is full.
                    Stream<Document> documents = positions.stream().map(this::getDocument).filter(Objects::nonNull);
                    return matchDocumentsFromStream(query == null ? new Document() : query, documents, skip, limit, batchSize, null, fieldSelector);
                }
            }
            int direction = idSortDirection(orderBy);
            if (direction != 0 && limit > 0 && allKeysAreStrings()) {
                // Lazy stream: filter, skip and limit stop reading the map once the page is full.
                return matchDocumentsFromStream(query == null ? new Document() : query, valuesInKeyOrder(direction < 0), skip, limit, batchSize, null, fieldSelector);
            }
            return super.queryDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        /**
         * An aggregation reads the whole collection and filters it stage by stage; a leading
         * $match the database saw (IdFirstDatabase.handleCommand) is planned like a find first,
         * so a count over an indexed range reads the range, as MongoDB's does. Consumed once:
         * another read of this or another collection in the same command scans as before.
         */
        @Override
        public Stream<Document> queryAllAsStream() {
            Document match = IdFirstDatabase.takeLeadingMatch(getCollectionName());
            if (match != null) {
                for (Index<Object> index : getIndexes()) {
                    if (index instanceof OrderedIndex && index.canHandle(match)) {
                        List<Document> candidates = new ArrayList<>();
                        for (Document document : queryDocuments(match, null, 0, 0, 0, null)) candidates.add(document);
                        return candidates.stream();
                    }
                }
            }
            return super.queryAllAsStream();
        }

        /** A count command without skip or limit is answered from the indexes when they answer its filter exactly. */
        @Override
        public int count(Document query, int skip, int limit) {
            if (skip <= 0 && limit <= 0) {
                Long count = countFromIndexes(query);
                if (count != null && count <= Integer.MAX_VALUE) return count.intValue();
            }
            return super.count(query, skip, limit);
        }

        /**
         * The number of documents matching the filter, counted from the launcher's OrderedIndexes
         * without reading a document, as MongoDB counts an index range (COUNT_SCAN); null when the
         * indexes cannot answer it exactly, and the caller takes the general path (read and match
         * every document). Answered: {} (the collection's size), and a conjunction (top-level
         * fields, $and) of conditions each on a field one complete, non-sparse OrderedIndex keeps,
         * each a plain value or a range of one class the index orders exactly
         * (OrderedIndex.isExactCondition). The smallest of the conditions' ranges is walked; each
         * entry in it is checked against every condition by the store's own matcher on the values
         * the indexes hold; a document whose value is kept apart by an index (an array, a
         * document, a path through an array) is read and matched whole, as the general path would.
         * Under the collection's lock, so no write is half applied to the indexes.
         */
        /** Counts answered from the indexes since the store started (the canonqlStoreStats command). */
        static final AtomicLong INDEX_COUNTS = new AtomicLong();

        synchronized Long countFromIndexes(Document query) {
            Long count = countFromIndexesOrNull(query);
            if (count != null) INDEX_COUNTS.incrementAndGet();
            return count;
        }

        private Long countFromIndexesOrNull(Document query) {
            Document filter = query == null ? new Document() : query;
            List<Map.Entry<String, Object>> parts = new ArrayList<>();
            if (!conjuncts(filter, parts)) return null;
            long size = dataMap.size();
            if (parts.isEmpty()) return size;
            OrderedIndex[] indexes = new OrderedIndex[parts.size()];
            for (int i = 0; i < parts.size(); i++) {
                if (!OrderedIndex.isExactCondition(parts.get(i).getValue())) return null;
                indexes[i] = orderedIndexOn(parts.get(i).getKey());
                // An index still being built (or one missing documents) holds fewer entries than the collection.
                if (indexes[i] == null || indexes[i].getCount() != size) return null;
            }
            int driver = 0;
            long fewest = Long.MAX_VALUE;
            for (int i = 0; i < parts.size(); i++) {
                long candidates = indexes[i].candidatesUpTo(parts.get(i).getValue(), fewest);
                if (candidates < fewest) {
                    fewest = candidates;
                    driver = i;
                }
            }
            DefaultQueryMatcher matcher = new DefaultQueryMatcher();
            long[] count = {0};
            int walked = driver;
            indexes[driver].forEachCandidate(parts.get(driver).getValue(), entry -> {
                if (matchesFromIndexes(entry, walked, parts, indexes, matcher, filter)) count[0] += 1;
            });
            return count[0];
        }

        private boolean matchesFromIndexes(OrderedIndex.Entry walked, int driver, List<Map.Entry<String, Object>> parts, OrderedIndex[] indexes,
                                           DefaultQueryMatcher matcher, Document filter) {
            if (walked.unordered) return matchesDocument(walked.position, matcher, filter);
            if (!matcher.matchesValue(parts.get(driver).getValue(), walked.value)) return false;
            for (int i = 0; i < parts.size(); i++) {
                if (i == driver) continue;
                OrderedIndex.Entry entry = indexes[i].entryOf(walked.position);
                if (entry == null || entry.unordered) return matchesDocument(walked.position, matcher, filter);
                if (!matcher.matchesValue(parts.get(i).getValue(), entry.value)) return false;
            }
            return true;
        }

        private boolean matchesDocument(Object position, DefaultQueryMatcher matcher, Document filter) {
            Document document = getDocument(position);
            return document != null && matcher.matches(document, filter);
        }

        private OrderedIndex orderedIndexOn(String field) {
            for (Index<Object> index : getIndexes()) {
                if (index instanceof OrderedIndex && ((OrderedIndex) index).field().equals(field) && !((OrderedIndex) index).sparse()) return (OrderedIndex) index;
            }
            return null;
        }

        /** The filter's conditions when it is a conjunction of field conditions (top-level keys and $and); false for anything else. */
        private static boolean conjuncts(Document filter, List<Map.Entry<String, Object>> out) {
            for (Map.Entry<String, Object> part : filter.entrySet()) {
                String key = part.getKey();
                if (key.equals("$and")) {
                    if (!(part.getValue() instanceof List) || ((List<?>) part.getValue()).isEmpty()) return false;
                    for (Object conjunct : (List<?>) part.getValue()) {
                        if (!(conjunct instanceof Document) || !conjuncts((Document) conjunct, out)) return false;
                    }
                    continue;
                }
                for (String step : key.split("\\.", -1)) {
                    if (step.isEmpty() || step.startsWith("$")) return false;
                }
                out.add(part);
            }
            return true;
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
            if (insertOrdered || dataMap.isEmpty()) return false;
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

        /**
         * The distinct keys of a filter that is exactly {_id: {$in: [...]}} over strings only, null for
         * any other; sorted as mongo-java-server's own lookup of a list sorts it (strings by
         * String.compareTo), so results, and which document an updateOne or deleteOne takes first,
         * come in the order they did.
         */
        private static Set<String> stringIdList(Document query) {
            if (query == null || query.size() != 1 || !(query.get("_id") instanceof Document)) return null;
            Document condition = (Document) query.get("_id");
            if (condition.size() != 1 || !(condition.get("$in") instanceof Collection)) return null;
            Set<String> ids = new TreeSet<>();
            for (Object value : (Collection<?>) condition.get("$in")) {
                if (!(value instanceof String)) return null;
                ids.add((String) value);
            }
            return ids;
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
