// oneclick is a small service with a known heap that serves heapwise through the Go package
// heapwisehttp (serve.go): 25 main.Supplier, each selling 10 main.Product (held through the
// global main.catalog), 120 main.Order chained from main.orderLog (each naming a product)
// and 40 main.Customer held in the map main.customers (each naming its favorite product). It writes its truth (the harness of
// testdata/truth) to $HEAPWISE_TRUTH, then blocks in truth.Finish (READY) while serve.go's
// listener keeps answering: the one-click e2e test (tests/e2e/oneclick.test.mjs) opens the
// page the service serves, clicks "Analyze this process now" and checks these counts and
// the path to the last order. The collector is off from then on (truth.Settle), so the
// snapshots the handler writes leave these counts as they are.
package main

import (
	"fmt"

	"heapwise/testdata/truth"
)

type Supplier struct { // 40 B: 48 B slots
	name     string
	products []*Product
}

type Product struct { // 32 B
	name     string
	cents    int64
	supplier *Supplier
}

type Order struct { // 32 B
	id      int
	qty     int
	product *Product
	next    *Order
}

type Customer struct { // 32 B
	name     string
	favorite *Product
	// lastOrder is an id, not a pointer: a customer pointing into the order chain would
	// make a shorter path to its oldest order than the chain's.
	lastOrder int
}

const (
	nSuppliers  = 25
	perSupplier = 10
	nOrders     = 120
	nCustomers  = 40
)

var (
	catalog   []*Product
	suppliers []*Supplier
	orderLog  *Order
	customers map[string]*Customer
)

func main() {
	t := truth.New("oneclick")
	for s := 0; s < nSuppliers; s++ {
		sup := &Supplier{name: fmt.Sprintf("supplier-%02d", s), products: make([]*Product, 0, perSupplier)}
		for p := 0; p < perSupplier; p++ {
			pr := &Product{name: fmt.Sprintf("product-%02d-%02d", s, p), cents: int64(100 + s*perSupplier + p), supplier: sup}
			sup.products = append(sup.products, pr)
			catalog = append(catalog, pr)
		}
		suppliers = append(suppliers, sup)
	}
	// The order log: newest first; the oldest order is the tail of the chain.
	var tail *Order
	customers = make(map[string]*Customer, nCustomers)
	for c := 0; c < nCustomers; c++ {
		customers[fmt.Sprintf("customer-%02d", c)] = &Customer{name: fmt.Sprintf("customer-%02d", c)}
	}
	for i := 0; i < nOrders; i++ {
		o := &Order{id: i, qty: 1 + i%5, product: catalog[(i*7)%len(catalog)], next: orderLog}
		if i == 0 {
			tail = o
		}
		orderLog = o
		cu := customers[fmt.Sprintf("customer-%02d", i%nCustomers)]
		cu.favorite = o.product
		cu.lastOrder = o.id
	}
	startServing() // serve.go
	t.Settle()

	truth.Type[Supplier](t, "main.Supplier", nSuppliers)
	truth.Type[Product](t, "main.Product", nSuppliers*perSupplier)
	truth.Type[Order](t, "main.Order", nOrders)
	truth.Type[Customer](t, "main.Customer", nCustomers)
	t.Obj("order_oldest", truth.Addr(tail), "main.Order")
	t.Obj("product_0", truth.Addr(catalog[0]), "main.Product")
	// main.catalog's backing array, then the product.
	t.Path("product_0", truth.Addr(catalog[0]), "global", "main.catalog", 2)
	// Every order of the chain from main.orderLog, the newest first: the oldest is the
	// chain's last, and nothing else points into the chain.
	t.Path("order_oldest", truth.Addr(tail), "global", "main.orderLog", nOrders)
	t.Funcs("main.main")
	t.Finish()
}
