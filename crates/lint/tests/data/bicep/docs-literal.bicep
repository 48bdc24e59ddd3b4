// The documentation's example with its parameters' default values written in place.
targetScope = 'subscription'

resource roleDef 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: '4c1f2a9e-5d3b-4e6a-9f0c-7b8d1e2f3a4b'
  properties: {
    roleName: 'Custom Role - RG Reader'
    description: 'Subscription Level Deployment of a Role Definition'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
        ]
        notActions: []
      }
    ]
    assignableScopes: [
      '/subscriptions/00000000-0000-0000-0000-000000000000'
    ]
  }
}
