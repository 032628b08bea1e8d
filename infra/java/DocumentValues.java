import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;

import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * The value type of a collection's data map (the stored documents). H2's ObjectDataType writes a
 * document with Java serialization (a LinkedHashMap of boxed values, with class descriptors and
 * handle tables), and MVStore rewrites every value of a dirty leaf page at each commit: a Java
 * profile of ingestion had 40% of the store's CPU in that serialization, 6% in reading it back.
 *
 * This type writes a document whose values are all of the kinds below in a compact form of its
 * own, behind a tag byte ObjectDataType never writes (its tags end at 119), and reads it back as
 * the same classes with the same values (strings char by char, doubles by their bits, instants to
 * the nanosecond, key order kept). Any other value (another class, a subclass, another list kind)
 * makes the whole document take ObjectDataType's path, as before; and every value written before
 * (Java-serialized) is read by ObjectDataType, so existing data files stay readable.
 *
 * Writing the compact form is switched on by the system property canonql.store.compactDocuments
 * (the stack sets it); reading it is always on. A file holding compact documents cannot be read by
 * a launcher built before this type: going back to such a build needs a new data file.
 */
final class DocumentValues extends ObjectDataType {
    /** The tag of a document in this form; ObjectDataType's tags are 0 to 119. */
    static final int TAG_DOCUMENT = 0xD0;

    private static final int NULL = 0, FALSE = 1, TRUE = 2, INT = 3, LONG = 4, DOUBLE = 5, STRING = 6,
        DOCUMENT = 7, LIST = 8, INSTANT = 9, OBJECT_ID = 10, DECIMAL128 = 11;

    private final boolean writeCompact;

    DocumentValues(boolean writeCompact) {
        this.writeCompact = writeCompact;
    }

    /**
     * In-memory size estimate per document, averaged over the documents written and read like
     * ObjectDataType does, from each one's heap size (heapSize). MVStore bounds its page cache
     * by these estimates: twice the encoded size, the estimate before, counted about a third of
     * what a document of small fields takes on the heap, so a 256 MB cache grew past a 768 MB
     * heap and the JVM spent its time in full collections before running out of heap.
     */
    private volatile int averageMemory = 10_000;

    /**
     * mongo-java-server updates a stored document in place (it copies the new fields into the
     * document the map holds), while MVStore's writer thread may be writing a page holding it; the
     * launcher updates a copy instead (IdFirstCollection), and this guards any other path. Counts
     * are therefore written after their entries (a placeholder patched at the end), so the bytes
     * always agree with themselves, and a write that the iterator finds changed under it
     * (ConcurrentModificationException) starts again once the updating thread has had its turn: an
     * update changes a document for a moment, and Java serialization, the alternative, can leave a
     * map changed while it was written unreadable. Any other failure takes that path as before.
     */
    @Override
    public void write(WriteBuffer buff, Object obj) {
        if (writeCompact && obj != null && obj.getClass() == Document.class) {
            for (;;) {
                int start = buff.position();
                try {
                    buff.put((byte) TAG_DOCUMENT);
                    if (writeDocument(buff, (Document) obj)) {
                        averageMemory = (int) ((heapSize(obj) + 15L * averageMemory) / 16);
                        return;
                    }
                    buff.position(start);
                    break;
                } catch (ConcurrentModificationException changedWhileWritten) {
                    buff.position(start);
                    Thread.yield();
                } catch (RuntimeException other) {
                    buff.position(start);
                    break;
                }
            }
        }
        super.write(buff, obj);
    }

    @Override
    public Object read(ByteBuffer buff) {
        if ((buff.get(buff.position()) & 0xFF) != TAG_DOCUMENT) return super.read(buff);
        buff.get();
        Document document = readDocument(buff);
        averageMemory = (int) ((heapSize(document) + 15L * averageMemory) / 16);
        return document;
    }

    @Override
    public int getMemory(Object obj) {
        return obj != null && obj.getClass() == Document.class ? averageMemory : super.getMemory(obj);
    }

    /**
     * Bytes a value takes on a 64-bit heap with compressed references (objects aligned to 8):
     * a document is a LinkedHashMap of its fields (the map, its table, an entry per field, the key
     * strings), a string its object and its byte array; the kinds this type has no form for count
     * as an object of 16 bytes (their documents take ObjectDataType's own estimate).
     */
    static long heapSize(Object value) {
        if (value == null || value instanceof Boolean) return 0;
        Class<?> type = value.getClass();
        if (type == String.class) return 24 + align(16 + ((String) value).length());
        if (type == Document.class) {
            Document document = (Document) value;
            int size = document.size();
            int table = size == 0 ? 0 : Integer.highestOneBit(Math.max(16, (int) Math.ceil(size / 0.75)) - 1) << 1;
            long bytes = 16 + 56 + (table == 0 ? 0 : align(16 + 4L * table)) + 40L * size;
            for (Map.Entry<String, Object> entry : document.entrySet()) bytes += heapSize(entry.getKey()) + heapSize(entry.getValue());
            return bytes;
        }
        if (value instanceof List) {
            List<?> list = (List<?>) value;
            long bytes = 24 + align(16 + 4L * list.size());
            for (Object item : list) bytes += heapSize(item);
            return bytes;
        }
        if (type == ObjectId.class) return 16 + align(16 + 12);
        if (type == Instant.class || type == Decimal128.class) return 24;
        return 16;
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    /** False when some value has no form here (the caller rewinds and serializes instead). */
    private static boolean writeDocument(WriteBuffer buff, Document document) {
        int countAt = buff.position();
        buff.putInt(0);
        int count = 0;
        for (Map.Entry<String, Object> entry : document.entrySet()) {
            writeString(buff, entry.getKey());
            if (!writeValue(buff, entry.getValue())) return false;
            count++;
        }
        buff.putInt(countAt, count);
        return true;
    }

    /** One value in the compact form; false when it has none (the caller rewinds). */
    static boolean writeValue(WriteBuffer buff, Object value) {
        if (value == null) {
            buff.put((byte) NULL);
            return true;
        }
        Class<?> type = value.getClass();
        if (type == String.class) {
            buff.put((byte) STRING);
            writeString(buff, (String) value);
        } else if (type == Document.class) {
            buff.put((byte) DOCUMENT);
            return writeDocument(buff, (Document) value);
        } else if (type == Integer.class) {
            buff.put((byte) INT).putVarInt((Integer) value);
        } else if (type == Long.class) {
            buff.put((byte) LONG).putLong((Long) value);
        } else if (type == Double.class) {
            buff.put((byte) DOUBLE).putLong(Double.doubleToRawLongBits((Double) value));
        } else if (type == Boolean.class) {
            buff.put((byte) ((Boolean) value ? TRUE : FALSE));
        } else if (type == ArrayList.class) {
            buff.put((byte) LIST);
            int countAt = buff.position();
            buff.putInt(0);
            int count = 0;
            for (Object item : (List<?>) value) {
                if (!writeValue(buff, item)) return false;
                count++;
            }
            buff.putInt(countAt, count);
        } else if (type == Instant.class) {
            Instant instant = (Instant) value;
            buff.put((byte) INSTANT).putLong(instant.getEpochSecond()).putInt(instant.getNano());
        } else if (type == ObjectId.class && ((ObjectId) value).toByteArray().length == 12) {
            buff.put((byte) OBJECT_ID).put(((ObjectId) value).toByteArray());
        } else if (type == Decimal128.class) {
            Decimal128 decimal = (Decimal128) value;
            buff.put((byte) DECIMAL128).putLong(decimal.getLow()).putLong(decimal.getHigh());
        } else {
            return false;
        }
        return true;
    }

    /**
     * A string of ASCII chars only (ids, hex, names: most of them) as its bytes, behind its length
     * shifted left with a low bit of 1; any other as its length shifted left, then each char as H2
     * writes string data (one to three bytes, surrogates one by one, so every char comes back).
     */
    private static void writeString(WriteBuffer buff, String s) {
        byte[] latin1 = s.getBytes(StandardCharsets.ISO_8859_1);
        if (isAscii(s, latin1)) {
            buff.putVarInt(s.length() << 1 | 1).put(latin1);
        } else {
            buff.putVarInt(s.length() << 1).putStringData(s, s.length());
        }
    }

    /**
     * Every char is U+0000 to U+007F: each of its ISO-8859-1 bytes is below 0x80 and none is a '?'
     * standing for a char that encoding cannot hold. (A loop over the bytes, a copy of a compact
     * string's own, costs a fraction of one over the chars. The written form is the one an earlier
     * build chose by encoding the string to UTF-8 and finding as many bytes as chars, no '?'
     * standing for a surrogate: exactly these strings, so files written before read the same.)
     */
    private static boolean isAscii(String s, byte[] latin1) {
        for (int i = 0; i < latin1.length; i++) {
            byte b = latin1[i];
            if (b < 0 || (b == '?' && s.charAt(i) != '?')) return false;
        }
        return true;
    }

    private static String readString(ByteBuffer buff) {
        int header = DataUtils.readVarInt(buff);
        int length = header >>> 1;
        if ((header & 1) == 0) return DataUtils.readString(buff, length);
        byte[] bytes = new byte[length];
        buff.get(bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    private static Document readDocument(ByteBuffer buff) {
        int size = buff.getInt();
        Document document = new Document();
        for (int i = 0; i < size; i++) {
            String key = readString(buff);
            document.put(key, readValue(buff));
        }
        return document;
    }

    static Object readValue(ByteBuffer buff) {
        int type = buff.get();
        switch (type) {
            case NULL:
                return null;
            case FALSE:
                return Boolean.FALSE;
            case TRUE:
                return Boolean.TRUE;
            case INT:
                return DataUtils.readVarInt(buff);
            case LONG:
                return buff.getLong();
            case DOUBLE:
                return Double.longBitsToDouble(buff.getLong());
            case STRING:
                return readString(buff);
            case DOCUMENT:
                return readDocument(buff);
            case LIST: {
                int size = buff.getInt();
                List<Object> list = new ArrayList<>(size);
                for (int i = 0; i < size; i++) list.add(readValue(buff));
                return list;
            }
            case INSTANT:
                return Instant.ofEpochSecond(buff.getLong(), buff.getInt());
            case OBJECT_ID: {
                byte[] bytes = new byte[12];
                buff.get(bytes);
                return new ObjectId(bytes);
            }
            case DECIMAL128: {
                long low = buff.getLong();
                return new Decimal128(low, buff.getLong());
            }
            default:
                throw new IllegalStateException("stored document: unknown value kind " + type);
        }
    }
}
