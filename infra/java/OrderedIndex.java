import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * A non-unique index ordered by one field, then by _id: what mongo-java-server lacks (it accepts
 * {@code createIndex({f: 1, _id: 1})} and ignores it, so every range filter and every sort on
 * {@code f} scans the collection). MongoDB and FerretDB answer {@code find({f: {$gte: a, $lt: b}})}
 * and {@code sort({f: -1, _id: -1}).limit(n)} from such an index; this one does the same for the
 * local store, so its cost model matches theirs (canonql indexes its order keys, {@code _k.<field>}).
 *
 * <p>It only narrows: every candidate it returns is still checked against the whole filter by the
 * collection, so a superset is always correct. Values it cannot order like MongoDB (arrays and
 * embedded documents, which MongoDB compares element-wise, values reached through an array on the
 * field's path, and every value the store's comparator does not order consistently: see
 * isOrderable) are kept apart and returned with every range; while any exists, the index is
 * not walked for a sort. A count whose filter it answers exactly counts its range without reading
 * documents (MongoServerMain.IdFirstCollection.countFromIndexes). Held in memory and rebuilt from the
 * documents when the store opens the collection (the index description itself is persisted by
 * mongo-java-server). Key patterns handled: {@code {f: d}} and {@code {f: d, _id: d}}.
 */
final class OrderedIndex extends Index<Object> {
    /** Sentinels placed before and after every position of equal value. */
    private static final Object LOWEST = new Object();
    private static final Object HIGHEST = new Object();
    private static final Comparator<Object> VALUES = ValueComparator.asc();

    static final class Entry {
        final Object value;
        final Object position;
        /** The value is an array or a document, or the path to it crosses an array: kept apart, never ordered. */
        final boolean unordered;

        Entry(Object value, Object position) {
            this(value, position, false);
        }

        Entry(Object value, Object position, boolean unordered) {
            this.value = value;
            this.position = position;
            this.unordered = unordered;
        }
    }

    private static int compareEntries(Entry a, Entry b) {
        int byValue = VALUES.compare(a.value, b.value);
        if (byValue != 0) return byValue;
        if (a.position == b.position) return 0;
        if (a.position == LOWEST || b.position == HIGHEST) return -1;
        if (a.position == HIGHEST || b.position == LOWEST) return 1;
        return comparePositions(a.position, b.position);
    }

    /**
     * A total order of positions (the documents' _ids) that agrees with MongoDB's: the store's
     * comparator, except that numbers are compared exactly (it compares 5000000000 with
     * 5000000000.5 as two longs, calling them equal) and two positions it still calls equal that
     * are not (another class) are told apart, so no two documents ever share an entry.
     */
    static int comparePositions(Object a, Object b) {
        if (a instanceof Number && b instanceof Number) {
            int exact = exactNumber((Number) a).compareTo(exactNumber((Number) b));
            if (exact != 0) return exact;
        } else {
            int byValue = VALUES.compare(a, b);
            if (byValue != 0) return byValue;
        }
        if (a.equals(b)) return 0;
        int byClass = a.getClass().getName().compareTo(b.getClass().getName());
        return byClass != 0 ? byClass : String.valueOf(a).compareTo(String.valueOf(b));
    }

    /** A number's exact value; NaN and the infinities, which have none, below and beyond every finite one. */
    private static java.math.BigDecimal exactNumber(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) return NAN_RANK;
            if (Double.isInfinite(d)) return d > 0 ? POSITIVE_INFINITY_RANK : NEGATIVE_INFINITY_RANK;
            return new java.math.BigDecimal(d);
        }
        if (n instanceof java.math.BigDecimal) return (java.math.BigDecimal) n;
        return java.math.BigDecimal.valueOf(n.longValue());
    }

    private static final java.math.BigDecimal NAN_RANK = new java.math.BigDecimal("-1e400");
    private static final java.math.BigDecimal NEGATIVE_INFINITY_RANK = new java.math.BigDecimal("-1e399");
    private static final java.math.BigDecimal POSITIVE_INFINITY_RANK = new java.math.BigDecimal("1e399");

    /** 2^31: the store's comparator compares a whole number at or beyond it with any number as two longs. */
    private static final double INT_RANGE = 2147483648.0;

    /**
     * Whether the store's comparator orders this value consistently with every other such value,
     * as MongoDB orders them, so that it can be an entry of the ordered set (or a bound of a walk).
     * Strings, booleans, dates and ObjectIds, and numbers of magnitude below 2^31 (not NaN, not
     * -0.0). Not: arrays and documents (MongoDB compares them element-wise), larger numbers (the
     * comparator calls 5000000000 equal to both 5000000000.25 and 5000000000.75, which it tells
     * apart, so a tree of them loses entries), Decimal128, regular expressions and code (which it
     * cannot compare at all), and every other BSON type. Those are kept apart, candidates of
     * every range, matched by the store's matcher as a scan would.
     */
    static boolean isOrderable(Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Instant || value instanceof ObjectId) return true;
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) return true;
        if (value instanceof Long) {
            long n = (Long) value;
            return n > -INT_RANGE && n < INT_RANGE;
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return !Double.isNaN(d) && Math.abs(d) < INT_RANGE && !(d == 0 && 1 / d < 0);
        }
        return false;
    }

    private final String field;
    /** The field's path, split at its dots. */
    private final String[] path;
    private final NavigableSet<Entry> ordered = new TreeSet<>(OrderedIndex::compareEntries);
    /** Each position's entry, to remove it when the document changes or goes. */
    private final Map<Object, Entry> byPosition = new HashMap<>();
    /** Entries whose value is an array or a document: candidates of every range, never walked. */
    private final Map<Object, Entry> unordered = new LinkedHashMap<>();

    private OrderedIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.field = keys.get(0).getKey();
        this.path = field.split("\\.", -1);
    }

    /** An index for these keys, or null when the pattern is not one this class orders by. */
    static OrderedIndex of(String name, List<IndexKey> keys, boolean sparse) {
        if (keys.isEmpty() || keys.size() > 2 || keys.get(0).getKey().equals("_id")) return null;
        if (keys.size() == 2 && (!keys.get(1).getKey().equals("_id") || keys.get(1).isAscending() != keys.get(0).isAscending())) return null;
        return new OrderedIndex(name, keys, sparse);
    }

    String field() {
        return field;
    }

    /** Marks a value reached through an array: the matcher looks into each element, which this order does not model. */
    private static final Object THROUGH_ARRAY = new Object();

    /**
     * The field's value (null when null or missing), as Utils.getSubdocumentValue finds it, except
     * that a path crossing an array gives THROUGH_ARRAY: Utils calls that value missing, while the
     * store's matcher looks into every element ({@code {'a.b': 1}} matches {@code {a: [{b: 1}]}}).
     */
    private Object valueOf(Document document) {
        Object current = document;
        for (int i = 0; i < path.length; i++) {
            if (current instanceof Collection) return THROUGH_ARRAY;
            if (!(current instanceof Document)) return null;
            current = ((Document) current).getOrMissing(path[i]);
        }
        return Missing.isNullOrMissing(current) ? null : current;
    }

    private static Object idOf(Document document) {
        return document.get("_id");
    }

    @Override
    public synchronized Object getPosition(Document document) {
        // Positions are found through the _id index; a non-unique index names none.
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Object> collection) {
        // Non-unique: nothing to refuse.
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        Object value = valueOf(document);
        boolean apart = value == THROUGH_ARRAY || !isOrderable(value);
        Entry entry = new Entry(value, position, apart);
        if (apart) unordered.put(position, entry);
        else ordered.add(entry);
        byPosition.put(idOf(document), entry);
    }

    @Override
    public synchronized Object remove(Document document) {
        Entry entry = byPosition.remove(idOf(document));
        if (entry == null) return null;
        if (unordered.remove(entry.position) == null) ordered.remove(entry);
        return entry.position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Object> collection) {
        // Non-unique: nothing to refuse.
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Object position, MongoCollection<Object> collection) {
        // An update that leaves this field's value as it was (most updates of a state touch other
        // fields) keeps the entry: removing it and adding an equal one searched the ordered set twice.
        Entry kept = byPosition.get(idOf(oldDocument));
        if (kept != null && kept.position.equals(position) && Objects.equals(idOf(oldDocument), idOf(newDocument))
            && sameValue(kept.value, valueOf(newDocument))) return;
        remove(oldDocument);
        add(newDocument, position, collection);
    }

    /** The same value of the same class (1 and 1L, 0.0 and -0.0 differ here: such a change takes the remove and add). */
    private static boolean sameValue(Object a, Object b) {
        if (a == b) return true;
        return a != null && b != null && a.getClass() == b.getClass() && a.equals(b);
    }

    @Override
    public synchronized long getCount() {
        return byPosition.size();
    }

    @Override
    public long getDataSize() {
        return 0;
    }

    @Override
    public synchronized void drop() {
        ordered.clear();
        byPosition.clear();
        unordered.clear();
    }

    /** The bounds a filter puts on the field: a plain value or {$eq $gt $gte $lt $lte} of plain values; null when none. */
    private static final class Bounds {
        Object low;
        boolean lowInclusive = true;
        Object high;
        boolean highInclusive = true;
        boolean hasLow;
        boolean hasHigh;
    }

    /** A bound a walk can take: a value the ordered set's order holds (isOrderable), not null (which matches missing fields too). */
    private static boolean isPlain(Object value) {
        return value != null && !Missing.isNullOrMissing(value) && isOrderable(value);
    }

    /** The field's condition in the filter: a top-level key, or one inside a top-level $and. */
    private static Object conditionOn(Document query, String field) {
        if (query == null) return null;
        if (query.containsKey(field)) return query.get(field);
        Object and = query.get("$and");
        if (and instanceof List) {
            for (Object part : (List<?>) and) {
                if (part instanceof Document) {
                    Object condition = conditionOn((Document) part, field);
                    if (condition != null) return condition;
                }
            }
        }
        return null;
    }

    private Bounds boundsOf(Document query) {
        return boundsOfCondition(conditionOn(query, field));
    }

    private static Bounds boundsOfCondition(Object condition) {
        if (condition == null) return null;
        Bounds bounds = new Bounds();
        if (isPlain(condition)) {
            bounds.low = bounds.high = condition;
            bounds.hasLow = bounds.hasHigh = true;
            return bounds;
        }
        if (!(condition instanceof Document) || ((Document) condition).isEmpty()) return null;
        for (Map.Entry<String, Object> operator : ((Document) condition).entrySet()) {
            Object operand = operator.getValue();
            if (!isPlain(operand)) return null;
            switch (operator.getKey()) {
                case "$eq":
                    narrowLow(bounds, operand, true);
                    narrowHigh(bounds, operand, true);
                    break;
                case "$gt":
                    narrowLow(bounds, operand, false);
                    break;
                case "$gte":
                    narrowLow(bounds, operand, true);
                    break;
                case "$lt":
                    narrowHigh(bounds, operand, false);
                    break;
                case "$lte":
                    narrowHigh(bounds, operand, true);
                    break;
                default:
                    return null;
            }
        }
        return bounds;
    }

    private static void narrowLow(Bounds bounds, Object value, boolean inclusive) {
        int cmp = bounds.hasLow ? VALUES.compare(value, bounds.low) : 1;
        if (cmp > 0 || (cmp == 0 && !inclusive)) {
            bounds.low = value;
            bounds.lowInclusive = inclusive;
            bounds.hasLow = true;
        }
    }

    private static void narrowHigh(Bounds bounds, Object value, boolean inclusive) {
        int cmp = bounds.hasHigh ? VALUES.compare(value, bounds.high) : -1;
        if (cmp < 0 || (cmp == 0 && !inclusive)) {
            bounds.high = value;
            bounds.highInclusive = inclusive;
            bounds.hasHigh = true;
        }
    }

    /** The ordered entries within the bounds (all of them for null bounds), in index order or reversed. */
    private NavigableSet<Entry> range(Bounds bounds, boolean reverse) {
        NavigableSet<Entry> set = ordered;
        Entry low = bounds != null && bounds.hasLow ? new Entry(bounds.low, bounds.lowInclusive ? LOWEST : HIGHEST) : null;
        Entry high = bounds != null && bounds.hasHigh ? new Entry(bounds.high, bounds.highInclusive ? HIGHEST : LOWEST) : null;
        // An empty range ({$gt: v, $lt: v} too, whose sentinels cross): a sub-set view would refuse bounds out of order.
        if (low != null && high != null && compareEntries(low, high) > 0) return new TreeSet<>(OrderedIndex::compareEntries);
        if (low != null) set = set.tailSet(low, true);
        if (high != null) set = set.headSet(high, true);
        return reverse ? set.descendingSet() : set;
    }

    /**
     * Whether the filter bounds the field tightly enough to beat a scan: a planner's choice, made
     * here by counting (up to a quarter of the collection) the entries in range.
     */
    @Override
    public synchronized boolean canHandle(Document query) {
        Object condition = conditionOn(query, field);
        List<Object> points = inValues(condition);
        if (points == null && boundsOfCondition(condition) == null) return false;
        long limit = Math.max(16, byPosition.size() / 4);
        long seen = unordered.size();
        for (Bounds bounds : points == null ? List.of(boundsOfCondition(condition)) : pointBounds(points)) {
            Iterator<Entry> entries = range(bounds, false).iterator();
            while (entries.hasNext() && seen <= limit) {
                entries.next();
                seen += 1;
            }
        }
        return seen <= limit;
    }

    /** Finds whose {@code $in} list this index answered, one lookup per value, since the store started (the canonqlStoreStats command). */
    static final AtomicLong IN_LISTS_BY_INDEX = new AtomicLong();

    @Override
    public synchronized Iterable<Object> getPositions(Document query) {
        Object condition = conditionOn(query, field);
        List<Object> points = inValues(condition);
        if (points == null) return positions(boundsOfCondition(condition), false);
        // Each value's entries, then the unordered ones: the values are distinct, so no position twice.
        List<Object> positions = new ArrayList<>();
        for (Bounds bounds : pointBounds(points)) {
            for (Entry entry : range(bounds, false)) positions.add(entry.position);
        }
        positions.addAll(unordered.keySet());
        IN_LISTS_BY_INDEX.incrementAndGet();
        return positions;
    }

    /**
     * The distinct values of a {@code {$in: [...]}} condition, when each is an exact operand
     * (isExactCondition: its equal values are the entries of one point of this order, so a point
     * per value, with the unordered entries, is a superset of its matches; a relation's lookup of
     * its keys, {@code {'data.email': {$in: [...]}}}); null for any other condition.
     */
    private static List<Object> inValues(Object condition) {
        if (!(condition instanceof Document) || ((Document) condition).size() != 1) return null;
        Object list = ((Document) condition).get("$in");
        if (!(list instanceof Collection) || ((Collection<?>) list).isEmpty()) return null;
        NavigableSet<Object> values = new TreeSet<>(VALUES);
        for (Object value : (Collection<?>) list) {
            if (!isExactOperand(value)) return null;
            values.add(value);
        }
        return new ArrayList<>(values);
    }

    private static List<Bounds> pointBounds(List<Object> points) {
        List<Bounds> all = new ArrayList<>(points.size());
        for (Object point : points) {
            Bounds bounds = new Bounds();
            bounds.low = bounds.high = point;
            bounds.hasLow = bounds.hasHigh = true;
            all.add(bounds);
        }
        return all;
    }

    private List<Object> positions(Bounds bounds, boolean reverse) {
        List<Object> positions = new ArrayList<>(unordered.keySet());
        for (Entry entry : range(bounds, reverse)) positions.add(entry.position);
        return positions;
    }

    /**
     * Whether every ordered entry's match of this condition on the field is decided by the store's
     * own matcher applied to the entry's value, and every such match lies in the condition's bounds:
     * a plain value, or {@code $eq $gt $gte $lt $lte} of plain values, all of one class whose order
     * is total and agrees with equality (strings, booleans, dates, ObjectIds), so the bounds hold
     * every value the matcher can accept (it compares values of the same class only). Not numbers:
     * the comparator compares a long with a double as two longs, so values it calls equal are not
     * equal and a range of mixed numbers is no superset. Not null (it matches missing fields too).
     */
    static boolean isExactCondition(Object condition) {
        if (isExactOperand(condition)) return true;
        if (!(condition instanceof Document) || ((Document) condition).isEmpty()) return false;
        Class<?> kind = null;
        for (Map.Entry<String, Object> operator : ((Document) condition).entrySet()) {
            switch (operator.getKey()) {
                case "$eq":
                case "$gt":
                case "$gte":
                case "$lt":
                case "$lte":
                    break;
                default:
                    return false;
            }
            Object operand = operator.getValue();
            if (!isExactOperand(operand) || (kind != null && kind != operand.getClass())) return false;
            kind = operand.getClass();
        }
        return true;
    }

    private static boolean isExactOperand(Object value) {
        return value instanceof String || value instanceof Boolean || value instanceof Instant || value instanceof ObjectId;
    }

    boolean sparse() {
        return isSparse();
    }

    /** The number of candidates of the condition (ordered entries in its bounds, and every unordered one), counted up to cap + 1. */
    synchronized long candidatesUpTo(Object condition, long cap) {
        Bounds bounds = boundsOfCondition(condition);
        if (bounds == null) return Long.MAX_VALUE;
        long seen = unordered.size();
        Iterator<Entry> entries = range(bounds, false).iterator();
        while (entries.hasNext() && seen <= cap) {
            entries.next();
            seen += 1;
        }
        return seen;
    }

    /** The entry of the document with this _id, or null. */
    synchronized Entry entryOf(Object id) {
        return byPosition.get(id);
    }

    /** Every candidate of the condition, under the index's lock: the ordered entries in its bounds, then the unordered ones. */
    synchronized void forEachCandidate(Object condition, Consumer<Entry> each) {
        Bounds bounds = boundsOfCondition(condition);
        if (bounds == null) throw new IllegalArgumentException("not a condition this index bounds: " + condition);
        for (Entry entry : range(bounds, false)) each.accept(entry);
        for (Entry entry : unordered.values()) each.accept(entry);
    }

    /**
     * The positions in the order of {@code sort}, when this index gives that order: the sort is
     * {f: d, _id: d} (either direction), and no value here is an array or a document (MongoDB
     * sorts those by an element, which this order does not model). Null otherwise. A copy, taken
     * under the index's lock; the filter's bounds on the field, if any, narrow it.
     */
    synchronized List<Object> positionsSortedBy(Document sort, Document query) {
        // {f: d} alone leaves ties in no defined order; a walk would give _id order, a stable
        // in-memory sort the scan's: only {f: d, _id: d}, the list query's sort, is walked.
        if (!unordered.isEmpty() || sort == null || sort.size() != 2) return null;
        Set<String> keys = sort.keySet();
        Iterator<String> names = keys.iterator();
        String first = names.next();
        if (!first.equals(field) || !(sort.get(first) instanceof Number)) return null;
        int direction = ((Number) sort.get(first)).intValue();
        if (direction != 1 && direction != -1) return null;
        String second = names.next();
        if (!second.equals("_id") || !(sort.get(second) instanceof Number) || ((Number) sort.get(second)).intValue() != direction) return null;
        Bounds bounds = null;
        if (conditionOn(query, field) != null) {
            bounds = boundsOf(query);
            if (bounds == null) return null;
        }
        // Entries are kept in ascending (value, _id) order whatever the declared direction; like
        // MongoDB, the index is walked either way.
        return positions(bounds, direction == -1);
    }
}
